/**
 * The queue adapter: the only module that imports BullMQ (besides the admin dashboard). Job names and payloads
 * (payloads.ts), priorities (priority.ts), the Redis key layout (keys.ts), queues and their options (open-queue.ts,
 * job-queue.ts), enqueueing (enqueue.ts), the fair share of batches (fair-share.ts) and consumers (consumer.ts).
 */
export * from './payloads.js';
export * from './priority.js';
export * from './keys.js';
export * from './job-queue.js';
export * from './open-queue.js';
export * from './enqueue.js';
export * from './fair-share.js';
export * from './consumer.js';
