import { ERROR_CODES, IMAGE_TYPES as IMAGE_TYPE_LIST, type ErrorCode } from '../../shared/contract/constants.js';

/** A plain OpenAPI object (the document is JSON; its schemas come from the contract, see components.ts). */
export type Obj = Record<string, unknown>;

export const ref = (name: string, kind: 'schemas' | 'headers' | 'parameters' | 'responses' = 'schemas') => ({
  $ref: `#/components/${kind}/${name}`,
});

/** The accepted image types, as the multipart encodings list them. */
export const IMAGE_TYPES = IMAGE_TYPE_LIST.join(', ');
const REQUEST_ID = 'req_01JABCDEFGHJKMNPQRSTVWXYZ0';

/** A response; every response carries `X-Request-Id`, and 429/503 also `Retry-After`. */
export function response(description: string, content?: Obj, headers: Obj = {}): Obj {
  return { description, headers: { 'X-Request-Id': ref('XRequestId', 'headers'), ...headers }, ...(content ? { content } : {}) };
}
export const json = (schema: Obj, example?: unknown): Obj => ({
  'application/json': { schema, ...(example !== undefined ? { example } : {}) },
});

/**
 * An error response: the `Error` body, with the codes this operation can answer with this status. A code whose
 * HTTP status in the contract is another one is a mistake here, and throws when the document is built.
 */
export function errorResponse(status: number, codes: ErrorCode[], description: string): Obj {
  for (const c of codes) {
    const s = ERROR_CODES[c];
    if (s !== null && s !== status) throw new Error(`error code ${c} is a ${s}, documented as a ${status}`);
  }
  const retry = status === 429 || status === 503 ? { 'Retry-After': ref('RetryAfter', 'headers') } : {};
  const auth = status === 401 ? { 'WWW-Authenticate': ref('WWWAuthenticate', 'headers') } : {};
  const text = `${description} Codes: ${codes.map((c) => `\`${c}\``).join(', ')}.`;
  return response(text, json(ref('Error'), { error: { code: codes[0], message: description }, request_id: REQUEST_ID }), { ...retry, ...auth });
}

export const E = {
  badUpload: errorResponse(
    400,
    ['missing_image', 'invalid_field', 'invalid_json', 'too_many_files', 'unexpected_file', 'malformed_multipart', 'invalid_webhook_url', 'invalid_image_url', 'invalid_upload', 'unknown_label_set'],
    'A field is missing or malformed: no image, more than one file, a bad form field (the message names it), a bad Idempotency-Key, a webhook URL or an `image_url` the SSRF guard refuses (`invalid_image_url`: not http(s), credentials, a literal loopback/private/link-local address in any spelling, a localhost or single-label name), a truncated multipart body, or a `label_set` the model does not have.',
  ),
  idemConflict: errorResponse(409, ['idempotency_in_progress'], 'A request with this Idempotency-Key is still being accepted; retry after `Retry-After` seconds.'),
  tooLarge: errorResponse(413, ['payload_too_large', 'line_too_long', 'too_many_lines'], 'The image is over the upload limit (MAX_UPLOAD_BYTES, default 10 MiB), the form has too many parts, or a JSON-lines batch has a line over 8 KiB or more than MAX_BATCH_URL_LINES lines (the batch is then canceled).'),
  mediaType: errorResponse(415, ['unsupported_media_type'], `The bytes are not an accepted image type (${IMAGE_TYPES}); the type is decided by the bytes, never by the filename or Content-Type.`),
  badImage: errorResponse(
    422,
    ['invalid_image', 'image_too_large', 'idempotency_mismatch'],
    'The bytes claim an image that cannot be used (unreadable header, animated or multi-page, over MAX_IMAGE_PIXELS), or the Idempotency-Key was used with a different request.',
  ),
  unauthorized: errorResponse(401, ['unauthorized'], 'API keys are on (API_KEYS) and the request sent none, or one that is unknown or revoked: send `Authorization: Bearer <key>` or `X-API-Key: <key>`.'),
  rateLimited: errorResponse(429, ['rate_limited'], 'Rate limit for this key or IP (when rate limiting is enabled).'),
  unavailable: errorResponse(503, ['unavailable', 'overloaded'], 'The queue store (Redis) or the image store (S3) is unreachable, Redis is out of memory, or the queue is over its high-water mark.'),
  storage: errorResponse(507, ['insufficient_storage'], 'The upload store is full; try again later.'),
  internal: errorResponse(500, ['internal_error'], 'An unexpected error (never a stack trace).'),
  jobNotFound: errorResponse(404, ['not_found'], 'No job with this id, or it is past retention (JOB_RETENTION_SECONDS).'),
  batchNotFound: errorResponse(404, ['not_found'], 'No batch with this id, or it is past retention.'),
  unknownModel: errorResponse(
    404,
    ['unknown_model', 'not_found'],
    '`model` names no served model (`unknown_model`), or the job of a replayed Idempotency-Key has expired (`not_found`).',
  ),
  batchNotOpen: errorResponse(409, ['batch_not_open'], 'The batch is sealed or canceled; it takes no more images.'),
};

/** What every endpoint behind the API key, the Redis check and the rate limit can answer (api/app.ts). */
export const guarded = { '401': E.unauthorized, '429': E.rateLimited, '500': E.internal, '503': E.unavailable };

/** The errors of every endpoint that accepts images (`POST /v1/jobs`, `POST /predict`, batch uploads). */
export const uploadErrors = {
  '400': E.badUpload,
  '404': E.unknownModel,
  '409': E.idemConflict,
  '413': E.tooLarge,
  '415': E.mediaType,
  '422': E.badImage,
  ...guarded,
  '507': E.storage,
};

/** An API key, as a bearer token or `X-API-Key`; or none when API keys are off (`{}`: auth is optional). */
export const apiKeySecurity = [{ bearerApiKey: [] }, { apiKeyHeader: [] }, {}];
