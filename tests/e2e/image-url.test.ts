import fs from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SHARED, pollJob, startStack, type Stack } from '../helpers/processes/stack.js';
import { startImageServer, type ImageServer } from '../helpers/servers/image-server.js';
import { InferqClient } from '../../client/inferq-client.js';

// The real int8 MobileNetV2 on a real photo that the service fetches itself: dog.jpg served by a loopback image
// server (allow-listed), through the JSON body of POST /v1/jobs and through a JSON-lines batch.
describe('image_url end to end with MobileNetV2', () => {
  let stack: Stack;
  let server: ImageServer;
  let dog: Buffer;
  beforeAll(async () => {
    dog = await fs.readFile(path.join(SHARED, 'models/test-images/dog.jpg'));
    const eagle = await fs.readFile(path.join(SHARED, 'models/test-images/eagle.jpg'));
    server = await startImageServer('127.0.0.2', { 'dog.jpg': dog, 'eagle.jpg': eagle });
    stack = await startStack({ MODELS: 'mobilenetv2', DEFAULT_MODEL: 'mobilenetv2', OUTBOUND_ALLOWED_HOSTS: '127.0.0.2' });
  });
  afterAll(async () => {
    await stack?.stop();
    await server?.close();
  });

  it('classifies dog.jpg fetched from its URL as a malamute or husky', async () => {
    const client = new InferqClient({ baseUrl: stack.url });
    const queued = await client.submitJobFromUrl(`${server.url}/img/dog.jpg`, { topK: 3 });
    expect(queued.status).toBe('queued');
    const job = await pollJob(stack.url, queued.id, 60_000);
    expect(job.status).toBe('succeeded');
    expect(job.input).toMatchObject({ content_type: 'image/jpeg', width: 768, height: 576, bytes: dog.length, url: `${server.url}/img/dog.jpg` });
    // 248 Eskimo dog, 249 malamute, 250 Siberian husky
    expect([248, 249, 250]).toContain(job.result.predictions[0].class_id);
  });

  it('runs a JSON-lines batch of photo URLs from the typed client, results matched by custom_id', async () => {
    const client = new InferqClient({ baseUrl: stack.url });
    const created = await client.createUrlBatch(
      [{ image_url: `${server.url}/img/dog.jpg`, custom_id: 'dog' }, { image_url: `${server.url}/img/eagle.jpg`, custom_id: 'eagle' }],
      { topK: 1 },
    );
    expect(created.lines).toEqual({ accepted: 2, refused: 0, refused_lines: [] });
    const done = await client.followBatch(created.id, { timeoutMs: 60_000 });
    expect(done.counts).toMatchObject({ total: 2, succeeded: 2 });
    const byId = new Map<string, number>();
    for await (const r of client.batchResultItems(created.id)) byId.set(r.custom_id!, r.predictions[0]!.class_id);
    expect([248, 249, 250]).toContain(byId.get('dog'));
    expect(byId.get('eagle')).toBe(22);
  });
});
