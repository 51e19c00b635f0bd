import fs from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SHARED, pollJob, postImage, startStack, type Stack } from '../helpers/processes/stack.js';

// R32 on the real int8 MobileNetV2 (1,000 classes): the cache never answers for another label set, and any
// top_k is served from the top 20 it keeps, equal to what the model computes without the cache.
let stack: Stack;
beforeAll(async () => {
  stack = await startStack({ MODELS: 'mobilenetv2', DEFAULT_MODEL: 'mobilenetv2', RESULT_CACHE_SECONDS: '3600' });
});
afterAll(async () => {
  await stack?.stop();
});

const photo = (name: string) => fs.readFile(path.join(SHARED, 'models/test-images', name));

async function submit(image: Buffer, fields: Record<string, string>) {
  const res = await postImage(stack.url, image, fields);
  const body = (await res.json()) as { id: string; status: string };
  return body.status === 'succeeded' ? (body as any) : pollJob(stack.url, body.id);
}

describe('result cache on the real model (R32)', () => {
  it('keys on the label set: no label set, or another answer shape, never reuses a label-set answer', async () => {
    const dog = await photo('dog.jpg');
    const withSet = await submit(dog, { label_set: 'cats-vs-dogs' });
    expect(withSet.result.cached).toBeUndefined();
    expect(withSet.result.label_set.prediction).toBe('dog');
    const plain = await submit(dog, {});
    expect(plain.result.cached).toBeUndefined();
    expect(plain.result.label_set).toBeUndefined();
    const again = await submit(dog, { label_set: 'cats-vs-dogs' });
    expect(again.result).toMatchObject({ cached: true, cached_from: withSet.id });
    expect(again.result.label_set).toEqual(withSet.result.label_set);
    const plainAgain = await submit(dog, {});
    expect(plainAgain.result).toMatchObject({ cached: true, cached_from: plain.id });
    expect(plainAgain.result.label_set).toBeUndefined();
  });

  it('serves a larger top_k than was asked first from the top 20 it keeps, equal to an uncached run', async () => {
    const eagle = await photo('eagle.jpg');
    const narrow = await submit(eagle, { top_k: '2' });
    expect(narrow.result.predictions).toHaveLength(2);
    const wide = await submit(eagle, { top_k: '20' });
    expect(wide.result).toMatchObject({ cached: true, cached_from: narrow.id });
    expect(wide.result.predictions).toHaveLength(20);
    const uncached = await submit(eagle, { top_k: '20', cache: 'false' });
    expect(uncached.result.cached).toBeUndefined();
    expect(wide.result.predictions).toEqual(uncached.result.predictions);
    expect(wide.result.predictions.slice(0, 2)).toEqual(narrow.result.predictions);
  });
});
