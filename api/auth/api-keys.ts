import fs from 'node:fs';
import { createHash } from 'node:crypto';

const DIGEST = /^[0-9a-f]{64}$/;

export const hashKey = (key: string) => createHash('sha256').update(key).digest('hex');

/** `name:digest` or a bare digest (named by its first 8 hex digits); throws on anything else. */
export function parseKeyEntry(entry: string, where: string): [digest: string, name: string] {
  const i = entry.lastIndexOf(':');
  const name = i >= 0 ? entry.slice(0, i).trim() : '';
  const digest = (i >= 0 ? entry.slice(i + 1) : entry).trim().toLowerCase();
  if (!DIGEST.test(digest)) throw new Error(`${where}: API keys must be given as sha256 hex digests (name:digest), got ${JSON.stringify(entry.slice(0, 80))}`);
  return [digest, name || `key-${digest.slice(0, 8)}`];
}

/**
 * The API keys this deployment accepts, stored only as sha256 digests: a leaked config or keys file does not
 * leak the keys. The file is re-read when it changes (checked at most every 2 s), so revoking a key is
 * removing its line.
 */
export class ApiKeyRegistry {
  private fromFile = new Map<string, string>();
  private readonly fromEnv: Map<string, string>;
  private fileMtime = -1;
  private checkedAt = 0;

  constructor(
    entries: string[],
    private readonly file?: string,
    private readonly now: () => number = Date.now,
  ) {
    this.fromEnv = new Map(entries.map((e) => parseKeyEntry(e, 'API_KEYS')));
    if (file) this.reload(true);
  }

  get enabled(): boolean {
    return this.fromEnv.size > 0 || this.file !== undefined;
  }

  /** The key's name, or null when it is unknown or revoked. */
  lookup(key: string): string | null {
    this.reload(false);
    const digest = hashKey(key);
    return this.fromEnv.get(digest) ?? this.fromFile.get(digest) ?? null;
  }

  private reload(force: boolean): void {
    if (!this.file || (!force && this.now() - this.checkedAt < 2000)) return;
    this.checkedAt = this.now();
    const st = fs.statSync(this.file, { throwIfNoEntry: false });
    if (!st) {
      if (force) throw new Error(`API_KEYS_FILE ${this.file} does not exist`);
      this.fromFile = new Map(); // deleted: every key in it is revoked
      return;
    }
    if (st.mtimeMs === this.fileMtime) return;
    const lines = fs.readFileSync(this.file, 'utf8').split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
    this.fromFile = new Map(lines.map((l, n) => parseKeyEntry(l, `${this.file}:${n + 1}`)));
    this.fileMtime = st.mtimeMs;
  }
}
