import { E, IMAGE_TYPES, apiKeySecurity, errorResponse, guarded, json, ref, response, uploadErrors, type Obj } from './responses.js';
import { cancelAfter, idempotencyKey, jobIdParam, prefer } from './parameters.js';

const imageEncoding = { image: { contentType: IMAGE_TYPES }, file: { contentType: IMAGE_TYPES } };
/** The body of `POST /v1/jobs` and `POST /predict`: a form with the image, or JSON with its URL. */
export const jobBody = {
  required: true,
  content: { 'multipart/form-data': { schema: ref('JobForm'), encoding: imageEncoding }, 'application/json': { schema: ref('JobJson') } },
};
const created = { Location: ref('Location', 'headers'), 'Preference-Applied': ref('PreferenceApplied', 'headers') };

export const jobPaths: Obj = {
  '/v1/jobs': {
    post: {
      tags: ['jobs'],
      operationId: 'createJob',
      summary: 'Submit one image for classification',
      description:
        'Validates and stores the upload, records the job and enqueues it. Answers `202` with the job at once, or, with `Prefer: wait`, holds the request until the job ends (`200`) or the wait runs out (`202`, the job goes on). An Idempotency-Key replay of the same request returns the same job.',
      security: apiKeySecurity,
      parameters: [idempotencyKey, prefer, cancelAfter],
      requestBody: jobBody,
      responses: {
        '200': response('The finished job: `Prefer: wait` was given and the job ended within the wait, or the result cache answered it at once (`result.cached`).', json(ref('Job')), created),
        '202': response('Accepted: the job (queued, or still running after a `Prefer: wait` ran out). Poll `Location` (after `Retry-After` seconds) or follow `Location` + `/events`.', json(ref('Job')), {
          ...created,
          'Retry-After': { description: 'A polling hint: seconds before asking again (1).', schema: { type: 'integer', minimum: 0 } },
        }),
        ...uploadErrors,
      },
    },
  },
  '/v1/jobs/{id}': {
    get: {
      tags: ['jobs'],
      operationId: 'getJob',
      summary: 'Get a job',
      security: apiKeySecurity,
      parameters: [jobIdParam, { name: 'If-None-Match', in: 'header', required: false, schema: { type: 'string' }, description: 'An `ETag` from an earlier answer: `304` when the job has not changed since.' }],
      responses: {
        '200': response('The job.', json(ref('Job')), {
          ETag: { description: 'A weak validator of this answer, for `If-None-Match`.', schema: { type: 'string' } },
          'Cache-Control': { description: '`private, max-age=60` once the job has ended (only webhook deliveries may still be added), `no-cache` before.', schema: { type: 'string' } },
        }),
        '304': response('Not modified since the `ETag` sent in `If-None-Match`.'),
        '404': E.jobNotFound,
        ...guarded,
      },
    },
  },
  '/v1/jobs/{id}/cancel': {
    post: {
      tags: ['jobs'],
      operationId: 'cancelJob',
      summary: 'Cancel a job that has not started',
      description: 'Only a `queued` job can be canceled; its upload is deleted.',
      security: apiKeySecurity,
      parameters: [jobIdParam],
      responses: {
        '200': response('The job, now in status `canceled`.', json(ref('Job'))),
        '404': E.jobNotFound,
        '409': errorResponse(409, ['not_cancelable'], 'The job is processing or has already ended.'),
        ...guarded,
      },
    },
  },
  '/predict': {
    post: {
      tags: ['predict'],
      operationId: 'predict',
      summary: 'Classify one image synchronously (classic endpoint)',
      description:
        'The same form as `POST /v1/jobs`; always waits for the job (PREDICT_TIMEOUT_SECONDS, default 30 s). A wait that runs out is `504 timeout` whose `error.job_id` names the job, which goes on and can be polled. A job that failed answers with its own error code: `422` for `invalid_image`/`image_too_large`, `500` otherwise (`job_canceled` when it was canceled meanwhile); `error.job_id` names the job.',
      security: apiKeySecurity,
      parameters: [idempotencyKey, cancelAfter],
      requestBody: jobBody,
      responses: {
        '200': response('The job succeeded.', json(ref('PredictResult'))),
        ...uploadErrors,
        '422': errorResponse(
          422,
          ['invalid_image', 'image_too_large', 'fetch_failed', 'idempotency_mismatch'],
          'The image cannot be used (at upload, or found by the worker, then with `error.job_id`), an `image_url` could not be fetched (`fetch_failed`, with `error.job_id`), or the Idempotency-Key was used with a different request.',
        ),
        '500': errorResponse(500, ['internal_error', 'job_canceled', 'worker_crashed', 'inference_error', 'deadline_exceeded', 'blob_missing'], 'The job failed (its error code, with `error.job_id`), was canceled, or an unexpected error.'),
        '504': errorResponse(504, ['timeout'], 'No result within the wait; `error.job_id` names the job, which goes on.'),
      },
    },
  },
};
