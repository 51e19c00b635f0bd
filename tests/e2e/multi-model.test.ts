import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fs from 'node:fs/promises';
import path from 'node:path';
import { SHARED, postImage, startStack, type Stack } from '../helpers/processes/stack.js';

// Three real models with different preprocessing (RGB/BGR, ImageNet mean-std / mean-only / [-1,1], NCHW/NHWC,
// logits/probabilities) served side by side by configuration alone.
let stack: Stack;
beforeAll(async () => {
  stack = await startStack({ MODELS: 'mobilenetv2,squeezenet,mobilenetv2-mlperf', DEFAULT_MODEL: 'mobilenetv2' });
});
afterAll(async () => {
  await stack?.stop();
});

async function classify(file: string, model: string) {
  const res = await postImage(stack.url, await fs.readFile(path.join(SHARED, 'models/test-images', file)), { model }, { path: '/predict' });
  expect(res.status).toBe(200);
  return (await res.json()) as { predictions: { label: string; class_id: number; confidence: number }[]; model: { name: string } };
}

describe('several models by configuration', () => {
  it('lists all three', async () => {
    const models = (await (await fetch(`${stack.url}/v1/models`)).json()) as any;
    expect(models.data.map((m: any) => m.name).sort()).toEqual(['mobilenetv2', 'mobilenetv2-mlperf', 'squeezenet']);
    const sq = (await (await fetch(`${stack.url}/v1/models/squeezenet`)).json()) as any;
    expect(sq.preprocessing.channel_order).toBe('BGR');
    expect((await (await fetch(`${stack.url}/v1/models/mobilenetv2-mlperf`)).json()).input.shape).toEqual([-1, 224, 224, 3]);
  });

  it('SqueezeNet (BGR, mean only, probabilities): dog → sled dog classes, eagle → kite', async () => {
    const dog = await classify('dog.jpg', 'squeezenet');
    expect(dog.model.name).toBe('squeezenet');
    expect(dog.predictions[0]!.label).toBe('dogsled');
    expect(dog.predictions.slice(1, 4).map((p) => p.class_id).some((c) => [248, 249, 250].includes(c))).toBe(true);
    expect((await classify('eagle.jpg', 'squeezenet')).predictions[0]!.label).toBe('kite');
  });

  it('MLPerf MobileNetV2 (NHWC, [-1, 1]): dog → malamute, eagle → kite then bald eagle', async () => {
    expect((await classify('dog.jpg', 'mobilenetv2-mlperf')).predictions[0]!.label).toBe('malamute');
    const eagle = await classify('eagle.jpg', 'mobilenetv2-mlperf');
    expect(eagle.predictions.slice(0, 2).map((p) => p.label)).toEqual(['kite', 'bald eagle']);
    for (const p of eagle.predictions) expect(p.confidence).toBeLessThanOrEqual(1);
  });
});
