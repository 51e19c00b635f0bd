import fs from 'node:fs/promises';
import path from 'node:path';
import createClient from 'openapi-fetch';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { components, paths } from '../../client/generated/openapi.js';
import { SHARED, startStack, type Stack } from '../helpers/processes/stack.js';

type JobForm = components['schemas']['JobForm'];

/**
 * What a client in any language does with a multipart body: every field a part, a file part for each Blob.
 * (openapi-fetch hands the serializer any of the operation's bodies, the JSON one too: hence `object`.)
 */
function formData(body: object): FormData {
  const form = new FormData();
  for (const [name, value] of Object.entries(body)) {
    if (value instanceof Blob) form.append(name, value, `${name}.jpg`);
    else if (value !== undefined) form.append(name, String(value));
  }
  return form;
}

let stack: Stack;
beforeAll(async () => {
  stack = await startStack({ MODELS: 'mobilenetv2', DEFAULT_MODEL: 'mobilenetv2' });
});
afterAll(async () => {
  await stack?.stop();
});

// A client generated from /openapi.json alone (openapi-typescript + openapi-fetch) submits a real photo and reads
// its answer: the document is complete enough to use, and the upload is typed as a Blob (a string would not
// type-check here: this file is part of `npm run typecheck`).
it('a generated client submits dog.jpg as multipart and reads the class', async () => {
  const client = createClient<paths>({ baseUrl: stack.url });
  const image: Blob = new Blob([await fs.readFile(path.join(SHARED, 'models/test-images/dog.jpg'))], { type: 'image/jpeg' });
  const body: JobForm = { image, top_k: 3 };
  const created = await client.POST('/v1/jobs', { body, bodySerializer: formData });
  expect(created.response.status).toBe(202);
  const id = created.data!.id;
  expect(id).toMatch(/^job_[0-9A-HJKMNP-TV-Z]{26}$/);
  expect(created.data!.status).toBe('queued');

  let job = created.data!;
  for (const until = Date.now() + 30_000; !['succeeded', 'failed', 'canceled'].includes(job.status) && Date.now() < until; ) {
    await new Promise((r) => setTimeout(r, 100));
    const got = await client.GET('/v1/jobs/{id}', { params: { path: { id } } });
    job = got.data!;
  }
  expect(job.status).toBe('succeeded');
  expect(job.input.filename).toBe('image.jpg');
  const top = job.result!.predictions[0]!;
  // 248 Eskimo dog, 249 malamute, 250 Siberian husky: the photo's class and its neighbours.
  expect([248, 249, 250]).toContain(top.class_id);
  expect(top.label).toBe('malamute');
  expect(job.result!.predictions).toHaveLength(3);

  // An error answer is typed too: the contract's ErrorCode union.
  const missing = await client.GET('/v1/jobs/{id}', { params: { path: { id: 'job_00000000000000000000000000' } } });
  expect(missing.response.status).toBe(404);
  expect(missing.error?.error.code).toBe('not_found');
}, 120_000);
