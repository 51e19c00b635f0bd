/**
 * A typed client for the inferq HTTP API (version 1). It only needs the platform's fetch, FormData and Blob (Node
 * ≥ 20, browsers, Deno, Bun), so it can be copied into other projects as it is (with the files of client/ beside
 * it, cli/ aside).
 *
 *   const client = new InferqClient({ baseUrl: 'http://localhost:8080', apiKey: process.env.INFERQ_API_KEY });
 *   const job = await client.submitJob({ data: bytes, filename: 'dog.jpg' }, { topK: 3, wait: 30 });
 *   const done = job.status === 'queued' || job.status === 'processing' ? await client.waitForJob(job.id) : job;
 *
 * Failures are thrown as `InferqError` (HTTP status, the API's stable error code, request id, Retry-After).
 * `429` and `503` (and `409 idempotency_in_progress`) are retried after the server's `Retry-After`, a bounded
 * number of times, for requests that are safe to repeat: reads, cancels and seals, and uploads that carry an
 * Idempotency-Key. Network failures are retried the same way, at most twice.
 */
import { BatchesClient } from './batches.js';

export type * from './types.js';
export { StreamCutError, type StreamEvent } from './event-stream.js';
export type { FollowOptions } from './follow.js';
export { InferqError, errorFromResponse, parseRetryAfter, retryDelayMs } from './errors.js';
export { isTerminalStatus } from './jobs.js';
export { CLIENT_VERSION } from './transport.js';
export type * from './options.js';

/** The client: one class over every resource (transport.ts ← models.ts ← jobs.ts ← batches.ts, one concern each). */
export class InferqClient extends BatchesClient {}
