import { z } from 'zod';
import { named } from './registry.js';

/**
 * Every error code the server answers with: the HTTP errors (with their status) and the codes a job ends with
 * (`error.code` of a failed job, status null: they reach HTTP only through `POST /predict`). A code not listed
 * here does not type-check (`AppError.code` is an `ErrorCode`).
 */
export const ERROR_CODES = {
  // 400
  bad_request: 400,
  incomplete_body: 400,
  invalid_field: 400,
  invalid_image_url: 400,
  invalid_json: 400,
  invalid_upload: 400,
  invalid_webhook_url: 400,
  malformed_multipart: 400,
  missing_image: 400,
  too_many_files: 400,
  unexpected_file: 400,
  unknown_label_set: 400,
  // 401, 403, 404, 405, 406, 408, 409
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  unknown_model: 404,
  method_not_allowed: 405,
  not_acceptable: 406,
  request_timeout: 408,
  batch_not_open: 409,
  idempotency_in_progress: 409,
  not_cancelable: 409,
  // 413, 415, 422, 429, 431
  line_too_long: 413,
  payload_too_large: 413,
  too_many_lines: 413,
  unsupported_media_type: 415,
  idempotency_mismatch: 422,
  image_too_large: 422,
  invalid_image: 422,
  // An image_url the service could not fetch: a job ends with it, and `POST /predict` (which waits for the fetch) answers it.
  fetch_failed: 422,
  rate_limited: 429,
  headers_too_large: 431,
  // 5xx
  internal_error: 500,
  not_ready: 503,
  overloaded: 503,
  unavailable: 503,
  timeout: 504,
  insufficient_storage: 507,
  // A job's own end (`error.code` of a failed job; `POST /predict` answers 500 with it unless listed above).
  blob_missing: null,
  blob_unavailable: null,
  deadline_exceeded: null,
  enqueue_failed: null,

  inference_error: null,
  job_canceled: null,
  worker_crashed: null,
  // A refused line of a JSON-lines batch (`lines.refused_lines[].code`).
  invalid_line: null,
} as const satisfies Record<string, number | null>;

export type ErrorCode = keyof typeof ERROR_CODES;
export const errorCodes = Object.keys(ERROR_CODES) as [ErrorCode, ...ErrorCode[]];
export const ErrorCodeSchema = named('ErrorCode', z.enum(errorCodes).meta({ description: 'Stable snake_case code; branch on this.' }));

/** Every 4xx/5xx body: `{error: {code, message}, request_id}` (never a stack trace). */
export const ErrorBody = named(
  'Error',
  z.object({
    error: z
      .looseObject({
        code: ErrorCodeSchema,
        message: z.string().meta({ description: 'For humans; may change.' }),
        job_id: z
          .string()
          .optional()
          .meta({ description: 'The job concerned (`POST /predict` timeouts and failures, a timed-out wait).' }),
      }),
    request_id: z.string().meta({ description: 'Same as the `X-Request-Id` header.' }),
  }),
);
export type ErrorBody = z.infer<typeof ErrorBody>;
