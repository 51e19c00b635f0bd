/** The HTTP contract in one place: every body, event payload, webhook body and error code, as zod schemas. */
export * from './constants.js';
export * from './registry.js';
export * from './error-codes.js';
export * from './prediction.js';
export * from './webhooks.js';
export * from './job.js';
export * from './job-fields.js';
export * from './batch.js';
export * from './model.js';
export * from './operations.js';
export * from './predict.js';
export * from './events.js';
