/**
 * The batch mutations, one file each under batches/ (create, append, seal, cancel), gathered here for their
 * importers (the routes, the JSON-lines batch).
 */
export { getBatch, notOpen, type BatchDeps } from './batch-deps.js';
export { createBatch } from './create.js';
export { appendImages, failUnqueued } from './append.js';
export { sealBatch } from './seal.js';
export { cancelBatch } from './cancel.js';
