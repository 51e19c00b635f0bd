import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Preprocessing } from '../shared/model-manifest.js';
import { InvalidImageError, type InvalidImageCode } from './invalid-image-error.js';

export interface IsolatedRequest {
  bytes: Uint8Array;
  preprocessing: Preprocessing;
  maxPixels: number;
  modelFile: string;
  inputName: string;
  outputName: string;
  itemDims: number[];
  crashOnSha256?: string;
}

export type IsolatedReply =
  | { ok: true; scores: number[]; preprocessMs: number; inferenceMs: number }
  | { ok: false; invalidImage: boolean; code?: string; message: string };

/** The child died before answering: the image (or its run) crashes the process. */
export class IsolatedCrashError extends Error {
  constructor(readonly signal: string | null, readonly exitCode: number | null) {
    super(`the job crashed its process again (${signal ?? `exit ${exitCode}`})`);
    this.name = 'IsolatedCrashError';
  }
}

// Each child loads the model (~150 MB): after a worker with a full batch died, its suspects arrive together.
const MAX_CHILDREN = 4;
let running = 0;
const queued: (() => void)[] = [];

async function slot(): Promise<() => void> {
  if (running >= MAX_CHILDREN) await new Promise<void>((resolve) => queued.push(resolve));
  running++;
  return () => {
    running--;
    queued.shift()?.();
  };
}

/**
 * Runs one image through its model in a child process, at most MAX_CHILDREN at a time. Used for jobs that stalled before (their worker died
 * while holding them): one of them may be a poison image, and run in the worker itself it would take down every
 * other job the worker holds, which then stall a second time and fail. Costs a process start and a model load
 * (~1 s), which only suspects pay.
 */
export async function runIsolated(req: IsolatedRequest, timeoutMs: number): Promise<{ scores: Float32Array; preprocessMs: number; inferenceMs: number }> {
  const release = await slot();
  try {
    return await runChild(req, timeoutMs);
  } finally {
    release();
  }
}

function runChild(req: IsolatedRequest, timeoutMs: number): Promise<{ scores: Float32Array; preprocessMs: number; inferenceMs: number }> {
  const ts = import.meta.url.endsWith('.ts');
  const file = fileURLToPath(new URL(`./isolated-child.${ts ? 'ts' : 'js'}`, import.meta.url));
  const child = fork(file, [], {
    execArgv: ts ? ['--import', 'tsx'] : [],
    serialization: 'advanced',
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  return new Promise((resolve, reject) => {
    let answered = false;
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`isolated run took longer than ${timeoutMs} ms`));
    }, timeoutMs);
    child.once('message', (r: IsolatedReply) => {
      answered = true;
      clearTimeout(timer);
      if (r.ok) return resolve({ scores: Float32Array.from(r.scores), preprocessMs: r.preprocessMs, inferenceMs: r.inferenceMs });
      if (r.invalidImage) return reject(new InvalidImageError(r.message, { code: (r.code as InvalidImageCode) ?? 'invalid_image' }));
      reject(new Error(r.message));
    });
    // 'close', not 'exit': 'exit' may come before the answer the child sent just before exiting has been read
    // from the IPC channel (seen under load: an answered run taken for a crash, exit 0); 'close' waits for the
    // channel to close, after its last message.
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      if (!answered) reject(new IsolatedCrashError(signal, code));
    });
    child.send(req);
  });
}
