import type { RedisClient } from './redis.js';
import type { JobInput } from './job-types.js';

/**
 * KEYS[1] job hash; ARGV[1] input JSON, ARGV[2] blob key. Records a fetched image on its job if the job is still
 * queued (a cancel or a deadline may have ended it while it was fetched); returns 'ok' or the status found.
 */
const ATTACH = `
local status = redis.call('HGET', KEYS[1], 'status')
if not status then return 'missing' end
if status ~= 'queued' then return status end
redis.call('HSET', KEYS[1], 'input', ARGV[1], 'blob_key', ARGV[2])
return 'ok'
`;

type ScriptFn = (...args: (string | number)[]) => Promise<string>;

/** Writes what the fetch stage learnt (bytes, type, size, sha256, blob) into a queued job, in one step. */
export function inputAttacher(redis: RedisClient, prefix: string) {
  if (!('inferqAttachInput' in redis)) redis.defineCommand('inferqAttachInput', { numberOfKeys: 1, lua: ATTACH });
  const r = redis as unknown as Record<string, ScriptFn>;
  return (jobId: string, input: JobInput, blobKey: string): Promise<string> =>
    r.inferqAttachInput!(`${prefix}:job:${jobId}`, JSON.stringify(input), blobKey);
}
