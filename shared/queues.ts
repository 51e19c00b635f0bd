/**
 * Kept for importers outside the queue adapter's owners (the contract and routes, being moved in parallel): the
 * payload types and the API's priority range now live in shared/queue/. New code imports shared/queue/index.js.
 */
export { QUEUES, type QueueName, type ImageDims, type InferencePayload, type WebhookPayload, type FetchPayload } from './queue/payloads.js';
export { PRIORITY } from './queue/priority.js';
