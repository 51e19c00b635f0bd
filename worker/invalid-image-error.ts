/** Stable codes, matching the API contract's 422 codes, so the error can be mapped to HTTP in one place. */
export type InvalidImageCode = 'invalid_image' | 'image_too_large';

/**
 * The bytes cannot be turned into a tensor: not JPEG/PNG/WebP, corrupt, truncated, or over the pixel limits.
 * Retrying can never help, so callers treat it as unrecoverable (BullMQ `UnrecoverableError`). Kept free of
 * other imports so the API and the worker can both recognise it without loading sharp.
 */
export class InvalidImageError extends Error {
  override readonly name = 'InvalidImageError';
  readonly code: InvalidImageCode;

  constructor(message: string, options: { code?: InvalidImageCode; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = options.code ?? 'invalid_image';
  }
}
