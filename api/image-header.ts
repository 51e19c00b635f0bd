/** The header check lives in shared/ since the worker's fetch stage checks fetched images the same way. */
export * from '../shared/image-header.js';
