/**
 * The state file of `inferq batch`: what it records (the batch id, the uploaded chunks, the refused files), where
 * it lives, how a re-run decides to resume, and atomic, serialised writes.
 */
import { createHash } from 'node:crypto';
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

export interface RejectedFile {
  file: string;
  code: string;
  message: string;
}

/** What `inferq batch` keeps next to its output so a re-run continues the same batch. */
export interface BatchState {
  version: 1;
  batch_id: string;
  url: string;
  model: string | null;
  top_k: number | null;
  /** Digest of the sorted input paths and sizes. */
  inputs: string;
  /** Files per chunk when the batch was started (kept on resume: chunk i is always the same files). */
  chunk_size: number;
  files: string[];
  uploaded_chunks: number[];
  rejected: RejectedFile[];
  sealed: boolean;
  created_at: string;
  updated_at: string;
}

/** What the current run would upload, compared with a state file. */
export interface BatchInputs {
  url: string;
  model: string | null;
  topK: number | null;
  inputs: string;
}

export type ResumeDecision =
  | { action: 'resume'; state: BatchState }
  | { action: 'fresh'; note: string | null }
  | { action: 'error'; message: string };

/**
 * `<out>.inferq-batch.json` beside the results file; when the results go to stdout, a file in the cache folder
 * named after the inputs (`key`, see `inputsKey`), so runs from different folders or on other inputs never meet.
 */
export function stateFilePath(out: string | null, cacheDir: string, key: string): string {
  return out ? `${out}.inferq-batch.json` : path.join(cacheDir, `batch-${key}.json`);
}

/** `$XDG_CACHE_HOME/inferq`, else `~/.cache/inferq`. */
export function cacheDir(env: Record<string, string | undefined>): string {
  return path.join(env.XDG_CACHE_HOME || path.join(env.HOME || os.homedir(), '.cache'), 'inferq');
}

/** Names the state of a stdout run after what was asked for: the resolved input arguments (not their contents). */
export function inputsKey(inputs: readonly string[]): string {
  return createHash('sha256').update([...inputs].sort().join('\0')).digest('hex').slice(0, 16);
}

/** A digest of the inputs: the sorted absolute paths and their sizes. */
export function inputsDigest(files: readonly { path: string; size: number }[]): string {
  const h = createHash('sha256');
  for (const f of files) h.update(`${f.path}\0${f.size}\n`);
  return h.digest('hex');
}

export function isBatchState(x: unknown): x is BatchState {
  if (!x || typeof x !== 'object') return false;
  const s = x as Record<string, unknown>;
  return (
    s.version === 1 &&
    typeof s.batch_id === 'string' &&
    typeof s.url === 'string' &&
    typeof s.inputs === 'string' &&
    typeof s.chunk_size === 'number' &&
    Number.isInteger(s.chunk_size) &&
    (s.chunk_size as number) >= 1 &&
    Array.isArray(s.files) &&
    Array.isArray(s.uploaded_chunks) &&
    (s.uploaded_chunks as unknown[]).every((n) => Number.isInteger(n)) &&
    Array.isArray(s.rejected) &&
    typeof s.sealed === 'boolean' &&
    (s.model === null || typeof s.model === 'string') &&
    (s.top_k === null || typeof s.top_k === 'number')
  );
}

/** Where a state file differs from the current inputs (empty: it matches). */
export function stateDifferences(state: BatchState, current: BatchInputs): string[] {
  const diffs: string[] = [];
  if (state.url.replace(/\/+$/, '') !== current.url.replace(/\/+$/, '')) diffs.push(`server (${state.url} vs ${current.url})`);
  if (state.model !== current.model) diffs.push(`model (${state.model ?? 'default'} vs ${current.model ?? 'default'})`);
  if (state.top_k !== current.topK) diffs.push(`top-k (${state.top_k ?? 'default'} vs ${current.topK ?? 'default'})`);
  if (state.inputs !== current.inputs) diffs.push('input files');
  return diffs;
}

/**
 * Resume or start over: `--fresh` always starts over; a matching state file is resumed; `--resume` with no state
 * file or a different one is an error; without flags a different state file is replaced (with a note).
 */
export function decideResume(
  state: BatchState | null,
  current: BatchInputs,
  flags: { resume: boolean; fresh: boolean },
  statePath: string,
): ResumeDecision {
  if (flags.resume && flags.fresh) return { action: 'error', message: '--resume and --fresh exclude each other' };
  if (flags.fresh) return { action: 'fresh', note: state ? `--fresh: ignoring the state file ${statePath}` : null };
  if (!state) {
    if (flags.resume) return { action: 'error', message: `--resume: no usable state file at ${statePath}` };
    return { action: 'fresh', note: null };
  }
  const diffs = stateDifferences(state, current);
  if (diffs.length === 0) return { action: 'resume', state };
  const what = diffs.join(', ');
  if (flags.resume) {
    return {
      action: 'error',
      message: `--resume: the state file ${statePath} (batch ${state.batch_id}) is for other inputs: ${what} differ; run with --fresh to start a new batch`,
    };
  }
  return { action: 'fresh', note: `the state file ${statePath} (batch ${state.batch_id}) is for other inputs (${what}); starting a new batch` };
}

/** The chunk indices still to upload. */
export function pendingChunks(fileCount: number, chunkSize: number, uploaded: readonly number[]): number[] {
  const done = new Set(uploaded);
  const n = Math.ceil(fileCount / chunkSize);
  return Array.from({ length: n }, (_, i) => i).filter((i) => !done.has(i));
}

/** The files of chunk `index`. */
export function chunkFiles<T>(files: readonly T[], chunkSize: number, index: number): T[] {
  return files.slice(index * chunkSize, (index + 1) * chunkSize);
}

/** Files already uploaded (or refused) according to the state. */
export function uploadedFileCount(fileCount: number, chunkSize: number, uploaded: readonly number[]): number {
  let n = 0;
  for (const i of new Set(uploaded)) n += Math.max(0, Math.min(chunkSize, fileCount - i * chunkSize));
  return n;
}

export async function readState(statePath: string): Promise<{ state: BatchState | null; note: string | null }> {
  let text: string;
  try {
    text = await fsp.readFile(statePath, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { state: null, note: null };
    throw err;
  }
  try {
    const parsed: unknown = JSON.parse(text);
    if (isBatchState(parsed)) return { state: parsed, note: null };
  } catch {
    // fall through
  }
  return { state: null, note: `ignoring the unreadable state file ${statePath}` };
}

/** Writes the state atomically (temp file + rename); updates are serialised. */
export class StateStore {
  private chain: Promise<void> = Promise.resolve();
  constructor(
    readonly file: string,
    readonly state: BatchState,
  ) {}

  update(fn: (s: BatchState) => void): Promise<void> {
    fn(this.state);
    this.state.updated_at = new Date().toISOString();
    const snapshot = JSON.stringify(this.state, null, 1) + '\n';
    this.chain = this.chain.then(async () => {
      const tmp = `${this.file}.${process.pid}.tmp`;
      await fsp.writeFile(tmp, snapshot);
      await fsp.rename(tmp, this.file);
    });
    return this.chain;
  }

  /** Removes the file once its batch needs no re-run (after any write still queued). */
  async remove(): Promise<void> {
    await this.chain;
    await fsp.rm(this.file, { force: true });
  }
}
