/**
 * The batch mutations, one file each under batches/ (create, append, seal, cancel), re-exported here for their
 * importers (the routes, the JSON-lines batch).
 */
export { getBatch, notOpen, type BatchDeps } from './batches/batch-deps.js';
export { createBatch } from './batches/create.js';
export { appendImages, failUnqueued } from './batches/append.js';
export { sealBatch } from './batches/seal.js';
export { cancelBatch } from './batches/cancel.js';
