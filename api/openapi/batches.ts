import { z } from 'zod';
import { batchQueryOptions } from '../../shared/contract/job-fields.js';
import { E, IMAGE_TYPES, apiKeySecurity, errorResponse, guarded, json, ref, response, uploadErrors, type Obj } from './responses.js';
import { batchIdParam, cancelAfter, idempotencyKey } from './parameters.js';

const imagesEncoding = { images: { contentType: IMAGE_TYPES } };
const batchRead = { '404': E.batchNotFound, ...guarded };
const created = { Location: ref('Location', 'headers') };

/** The batch options of a JSON-lines create, in the query string: the contract's fields, one parameter each. */
const queryOptions = Object.entries(batchQueryOptions).map(([name, schema]) => ({
  name,
  in: 'query',
  required: false,
  schema: z.toJSONSchema(schema),
  description: `JSON lines only: the batch's \`${name}\` (the other bodies carry it in the body).`,
}));
for (const p of queryOptions) delete (p.schema as Obj).$schema;

export const batchPaths: Obj = {
  '/v1/batches': {
    post: {
      tags: ['batches'],
      operationId: 'createBatch',
      summary: 'Create a batch',
      description:
        'Either `multipart/form-data` with one or more `images` files (the batch is created and sealed at once), JSON to open an empty batch that `POST /v1/batches/{id}/images` fills and `POST /v1/batches/{id}/seal` closes, or `application/x-ndjson`: one `{"image_url", "metadata", "custom_id"}` object per line (the OpenAI Batch API\'s shape, schema `BatchUrlLine`), the batch options in the query string. JSON lines are read as they arrive (never held whole), appended 500 at a time (all or none per chunk), and the batch is sealed at the end of the body; the answer\'s `lines` tells which lines were refused and why. If the body breaks off or is refused midway (`413`), the batch is canceled.',
      security: apiKeySecurity,
      parameters: [idempotencyKey, cancelAfter, ...queryOptions],
      requestBody: {
        required: true,
        content: {
          'multipart/form-data': { schema: ref('BatchForm'), encoding: imagesEncoding },
          'application/json': { schema: ref('BatchOpen') },
          'application/x-ndjson': {
            schema: { type: 'string', description: 'Lines of `{"image_url": "https://…", "custom_id": "a-1", "metadata": {…}}` (`BatchUrlLine`); blank lines are skipped.' },
            // OpenAPI 3.1 cannot type the lines of a stream (3.2's itemSchema can): named here for readers and tools.
            'x-line-schema': ref('BatchUrlLine'),
            example: '{"image_url": "https://images.example.com/dog.jpg", "custom_id": "a-1"}\n',
          },
        },
      },
      responses: {
        '201': response('The batch: `open` (JSON), or already sealed and `processing` (multipart, JSON lines; these carry `lines` too).', json(ref('Batch')), created),
        ...uploadErrors,
      },
    },
  },
  '/v1/batches/{id}': {
    get: {
      tags: ['batches'],
      operationId: 'getBatch',
      summary: 'Get a batch with live counts and progress',
      security: apiKeySecurity,
      parameters: [batchIdParam],
      responses: { '200': response('The batch.', json(ref('Batch'))), ...batchRead },
    },
  },
  '/v1/batches/{id}/images': {
    post: {
      tags: ['batches'],
      operationId: 'addBatchImages',
      summary: 'Append images to an open batch',
      description: 'As many calls as needed: a 10,000-image batch arrives in many requests.',
      security: apiKeySecurity,
      parameters: [batchIdParam],
      requestBody: { required: true, content: { 'multipart/form-data': { schema: ref('BatchImagesForm'), encoding: imagesEncoding } } },
      responses: {
        '200': response('The batch with its updated counts.', json(ref('Batch'))),
        ...uploadErrors,
        '404': E.batchNotFound,
        '409': E.batchNotOpen,
      },
    },
  },
  '/v1/batches/{id}/seal': {
    post: {
      tags: ['batches'],
      operationId: 'sealBatch',
      summary: 'Seal a batch: no more images',
      description: 'The batch completes (and `batch.completed` is sent) when it is sealed and every item has ended.',
      security: apiKeySecurity,
      parameters: [batchIdParam],
      responses: { '200': response('The sealed batch.', json(ref('Batch'))), '409': E.batchNotOpen, ...batchRead },
    },
  },
  '/v1/batches/{id}/results': {
    get: {
      tags: ['batches'],
      operationId: 'getBatchResults',
      summary: 'Stream the results of the items that have ended',
      description: 'One line per item that has ended; partial while the batch runs.',
      security: apiKeySecurity,
      parameters: [batchIdParam, { name: 'format', in: 'query', required: false, schema: { type: 'string', enum: ['jsonl', 'csv'], default: 'jsonl' } }],
      responses: {
        '200': response('The results, streamed.', {
          'application/x-ndjson': { schema: { type: 'string', description: 'One `BatchResult` JSON object per line.' }, 'x-line-schema': ref('BatchResult') },
          'text/csv': { schema: { type: 'string', description: 'Header `job_id,filename,status,label,confidence,error_code`, then one row per item.' } },
        }),
        '400': errorResponse(400, ['invalid_field'], '`format` is neither `jsonl` nor `csv`.'),
        ...batchRead,
      },
    },
  },
  '/v1/batches/{id}/jobs': {
    get: {
      tags: ['batches'],
      operationId: 'listBatchJobs',
      summary: 'List the items of a batch, paginated',
      security: apiKeySecurity,
      parameters: [
        batchIdParam,
        { name: 'status', in: 'query', required: false, schema: ref('JobStatus'), description: 'Only items in this status.' },
        { name: 'cursor', in: 'query', required: false, schema: { type: 'string' }, description: 'The `next_cursor` of the previous page.' },
        { name: 'limit', in: 'query', required: false, schema: { type: 'integer', minimum: 1, maximum: 1000, default: 100 } },
      ],
      responses: {
        '200': response('One page of items.', json(ref('BatchJobsPage'))),
        '400': errorResponse(400, ['invalid_field'], 'A bad `status`, `cursor` or `limit`.'),
        ...batchRead,
      },
    },
  },
  '/v1/batches/{id}/cancel': {
    post: {
      tags: ['batches'],
      operationId: 'cancelBatch',
      summary: 'Cancel every item not yet started',
      security: apiKeySecurity,
      parameters: [batchIdParam],
      responses: {
        '200': response('The batch, `canceled`.', json(ref('Batch'))),
        '409': errorResponse(409, ['not_cancelable'], 'The batch has completed.'),
        ...batchRead,
      },
    },
  },
};
