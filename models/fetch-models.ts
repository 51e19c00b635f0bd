import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as NodeReadableStream } from 'node:stream/web';
import type { ModelFileRef, ModelManifest } from '../shared/model-manifest.js';

export interface EnsureModelFilesOptions {
  manifest: ModelManifest;
  /** Manifest names of the models whose model and labels files must be present. */
  names: string[];
  /** Directory the files are kept in; created if missing. */
  modelsDir: string;
  /** Directory holding the files under their manifest file names (e.g. MODEL_MIRROR); tried before any URL. */
  mirror?: string;
  log?: (msg: string) => void;
}

/** A stalled download must end in an error, not a worker that never becomes ready. */
const DOWNLOAD_TIMEOUT_MS = 10 * 60_000;

interface Wanted {
  model: string;
  kind: 'model' | 'labels';
  ref: ModelFileRef;
}

/**
 * Makes every named model's model and labels file present in `modelsDir` with the manifest's sha256: kept if
 * already right, else copied from the mirror, else downloaded. Bytes are hashed while streaming into a temp file
 * that is renamed into place only when the hash matches, so a reader never sees a partial or wrong file.
 */
export async function ensureModelFiles(opts: EnsureModelFilesOptions): Promise<void> {
  const log = opts.log ?? (() => {});
  const wanted = resolveWanted(opts.manifest, opts.names);
  await mkdir(opts.modelsDir, { recursive: true });
  for (const w of wanted) await ensureFile(w, opts.modelsDir, opts.mirror, log);
}

function resolveWanted(manifest: ModelManifest, names: string[]): Wanted[] {
  const known = manifest.models.map((m) => m.name);
  const unknown = names.filter((n) => !known.includes(n));
  if (unknown.length > 0) {
    throw new Error(`unknown model(s) ${unknown.map((n) => `"${n}"`).join(', ')}; known models: ${known.join(', ')}`);
  }
  // Several models share one labels file: fetch it once, and refuse a manifest that gives it two hashes.
  const byFile = new Map<string, Wanted>();
  for (const spec of manifest.models.filter((m) => names.includes(m.name))) {
    for (const w of [
      { model: spec.name, kind: 'model', ref: spec.model },
      { model: spec.name, kind: 'labels', ref: spec.labels },
    ] as const) {
      const seen = byFile.get(w.ref.file);
      if (seen === undefined) byFile.set(w.ref.file, w);
      else if (seen.ref.sha256 !== w.ref.sha256) {
        throw new Error(`manifest gives ${w.ref.file} two sha256s (models "${seen.model}" and "${w.model}")`);
      }
    }
  }
  return [...byFile.values()];
}

async function ensureFile(w: Wanted, modelsDir: string, mirror: string | undefined, log: (msg: string) => void) {
  const { file, sha256, url } = w.ref;
  const dest = join(modelsDir, file);
  const what = `model "${w.model}" ${w.kind} file ${file}`;
  if (await exists(dest)) {
    const actual = await sha256Of(dest);
    if (actual === sha256) return log(`${what}: present, sha256 ok`);
    log(`${what}: present but sha256 is ${actual}, expected ${sha256}; replacing it`);
  }
  const failures: string[] = [];
  const sources: { name: string; open: () => Promise<Readable> }[] = [];
  if (mirror !== undefined && (await exists(join(mirror, file)))) {
    sources.push({ name: `mirror ${join(mirror, file)}`, open: async () => createReadStream(join(mirror, file)) });
  } else if (mirror !== undefined) {
    failures.push(`mirror ${mirror}: has no ${file}`);
  }
  if (url !== undefined) sources.push({ name: url, open: () => download(url) });
  for (const source of sources) {
    try {
      log(`${what}: fetching from ${source.name}`);
      await writeVerified(source.open, dest, sha256);
      return log(`${what}: written, sha256 ok`);
    } catch (err) {
      failures.push(`${source.name}: ${(err as Error).message}`);
    }
  }
  throw new Error(
    `cannot obtain ${what} (sha256 ${sha256}) into ${modelsDir}:\n` +
      (failures.length > 0 ? failures.map((f) => `  - ${f}\n`).join('') : '') +
      (url === undefined
        ? `It has no public download URL: set MODEL_MIRROR=<dir> to a directory holding ${file}.`
        : `Set MODEL_MIRROR=<dir> to a directory holding ${file}, or check network access to ${url}.`),
  );
}

async function download(url: string): Promise<Readable> {
  let res: Response;
  try {
    res = await fetch(url, { redirect: 'follow', signal: AbortSignal.timeout(DOWNLOAD_TIMEOUT_MS) });
  } catch (err) {
    // undici says only "fetch failed"; the reason (ECONNREFUSED, ENOTFOUND, a timeout) is in the cause.
    const message = (err as Error).message;
    const cause = (err as Error).cause as Error | undefined;
    throw new Error(cause?.message ? `${message}: ${cause.message}` : message, { cause: err });
  }
  if (!res.ok || res.body === null) {
    await res.body?.cancel();
    throw new Error(`HTTP ${res.status} ${res.statusText}`.trim());
  }
  return Readable.fromWeb(res.body as NodeReadableStream<Uint8Array>);
}

/** Streams into a unique temp file beside `dest`, hashing on the way; renames only on a matching hash. */
async function writeVerified(open: () => Promise<Readable>, dest: string, sha256: string): Promise<void> {
  const tmp = `${dest}.${process.pid}.${randomBytes(4).toString('hex')}.part`;
  const hash = createHash('sha256');
  try {
    await pipeline(
      await open(),
      async function* (chunks: AsyncIterable<Buffer>) {
        for await (const chunk of chunks) {
          hash.update(chunk);
          yield chunk;
        }
      },
      createWriteStream(tmp, { flags: 'wx' }),
    );
    const actual = hash.digest('hex');
    if (actual !== sha256) throw new Error(`sha256 mismatch: got ${actual}, expected ${sha256}`);
    await rename(tmp, dest);
  } finally {
    await rm(tmp, { force: true });
  }
}

async function sha256Of(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

async function exists(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}
