import { AppError, invalidField } from '../../shared/errors.js';
import type { JobView } from '../../shared/job-types.js';
import { discardUploads, type UploadedImage } from '../middleware/upload.js';
import { submitJob, type SubmitDeps } from './submit-job.js';
import { submitUrlJob, type UrlSubmitDeps } from './submit-url-job.js';
import { parseJobFields } from '../job-fields.js';
import type { WebhookUrlCheck } from './job-options.js';

export interface AcceptDeps {
  submit: SubmitDeps;
  urls: UrlSubmitDeps;
  validateWebhookUrl: WebhookUrlCheck;
}

/** A single-image submission as it arrived: a file or an `image_url`, the options, and who sent it. */
export interface Submission {
  files: UploadedImage[];
  /** `image_url` if one was sent, of any type (checked here). */
  imageUrl: unknown;
  fields: unknown;
  cancelAfter?: string;
  idempotencyKey?: string;
  requestId: string;
  /** Idempotency keys are scoped to this (the API key's id when auth is on). */
  scope: string;
}

/** The image of a single-image form: field `image`, or `file` as the classic model APIs name it. */
function singleImage(files: UploadedImage[]): UploadedImage {
  if (files.length === 0) throw new AppError('missing_image', 'send the image as multipart field "image" (or "file")');
  if (files.length > 1) throw new AppError('too_many_files', 'send exactly one image');
  return files[0]!;
}

/** Accepts one image (a file or a URL) as a job, and guarantees that its temp files are gone whatever happens. */
export async function acceptSubmission(deps: AcceptDeps, s: Submission): Promise<{ job: JobView; created: boolean }> {
  try {
    if (s.imageUrl !== undefined && s.files.length > 0) throw invalidField('send either an image file or image_url, not both');
    const image = s.imageUrl === undefined ? singleImage(s.files) : null;
    const fields = parseJobFields(s.fields, s.cancelAfter);
    const key = s.idempotencyKey;
    if (key !== undefined && (key.length === 0 || key.length > 255)) throw invalidField('Idempotency-Key must be 1 to 255 characters');
    if (fields.webhookUrl) await deps.validateWebhookUrl(fields.webhookUrl);
    const { requestId, idempotencyKey, scope } = s;
    if (!image) {
      if (typeof s.imageUrl !== 'string') throw new AppError('invalid_image_url', 'image_url must be a string');
      return await submitUrlJob(deps.urls, { imageUrl: s.imageUrl, fields, requestId, idempotencyKey, scope });
    }
    return await submitJob(deps.submit, { image, fields, requestId, idempotencyKey, scope });
  } finally {
    await discardUploads(s.files);
  }
}
