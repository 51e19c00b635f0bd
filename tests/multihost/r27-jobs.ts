import { submitImage, type RedisProbe } from '../helpers/jobs/jobs.js';
import type { KnownPhoto } from './photos.js';

export interface PhotoJob {
  id: string;
  photo: KnownPhoto;
}

/** Submits `n` jobs cycling through `photos`, 8 uploads in flight; every one must be accepted (202). */
export async function submitPhotos(apiUrl: string, photos: KnownPhoto[], n: number): Promise<PhotoJob[]> {
  const out: PhotoJob[] = new Array(n);
  let next = 0;
  const lane = async () => {
    while (next < n) {
      const i = next++;
      const photo = photos[i % photos.length]!;
      const r = await submitImage(apiUrl, photo.bytes, 30_000, photo.file);
      if (r.status !== 202) throw new Error(`submit ${i} (${photo.file}) answered ${r.status} ${r.error ?? JSON.stringify(r.body)}`);
      out[i] = { id: r.body.id as string, photo };
    }
  };
  await Promise.all(Array.from({ length: Math.min(8, n) }, lane));
  return out;
}

/**
 * The jobs BullMQ has active, each with the worker holding its lock: a lock's value is the token `<worker
 * uuid>:<n>` the worker took the job with, so the uuid part tells the workers apart.
 */
export async function activeLocks(probe: RedisProbe): Promise<Map<string, string>> {
  const key = `${probe.prefix}:inference`;
  const ids = await probe.redis.lrange(`${key}:active`, 0, -1);
  if (ids.length === 0) return new Map();
  const tokens = await probe.redis.mget(...ids.map((id) => `${key}:${id}:lock`));
  const out = new Map<string, string>();
  ids.forEach((id, i) => tokens[i] && out.set(id, tokens[i]!.split(':')[0]!));
  return out;
}

/**
 * Job ids whose finish a worker was refused, from its log: BullMQ will not complete (or fail) a job whose lock
 * the worker no longer holds ("Missing lock for job <id>. moveToFinished"), or that another worker completed
 * and removed meanwhile ("Missing key …"), and the worker logs that error as `worker error`.
 */
export function fencedJobs(output: string): Set<string> {
  return new Set([...output.matchAll(/Missing (?:lock|key) for job (\S+?)\. moveToFinished/g)].map((m) => m[1]!));
}

/** The class id of a stored job's top answer (null when it has none). */
export function topClass(record: Record<string, string> | null): number | null {
  const result = JSON.parse(record?.result ?? 'null') as { predictions: { class_id: number }[] } | null;
  return result?.predictions[0]?.class_id ?? null;
}

/** How many inference jobs BullMQ has completed so far (its event stream's `completed` entries). */
export async function completedSoFar(probe: RedisProbe): Promise<number> {
  const entries = (await probe.redis.xrange(`${probe.prefix}:inference:events`, '-', '+')) as [string, string[]][];
  return entries.filter(([, f]) => f[0] === 'event' && f[1] === 'completed').length;
}
