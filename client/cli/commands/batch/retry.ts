/** Which failures of an upload or a download are worth retrying, splitting around, or final. */
import { InferqError } from '../../../inferq-client.js';

/** How an upload failure is handled: split the chunk to isolate a bad file, retry, or stop. */
export function classifyUploadError(err: unknown): 'split' | 'transient' | 'fatal' {
  if (!(err instanceof InferqError)) return 'fatal';
  if (err.status === 0) return err.code === 'network_error' || err.code === 'timeout' ? 'transient' : 'fatal';
  const splitCodes = ['too_many_files', 'payload_too_large', 'unsupported_media_type', 'invalid_image', 'image_too_large'];
  if (splitCodes.includes(err.code) || err.status === 413 || err.status === 415) return 'split';
  if (err.code === 'malformed_multipart') return 'transient';
  if ([429, 500, 502, 503, 504, 507].includes(err.status)) return 'transient';
  return 'fatal';
}
