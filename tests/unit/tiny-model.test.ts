import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findModel, loadManifest, type Preprocessing } from '../../shared/model-manifest.js';
import { loadLabels } from '../../worker/model-labels.js';
import { splitBatchOutput, topK } from '../../worker/postprocess.js';
import { preprocess } from '../../worker/preprocess.js';
import { buildColourModel, COLOURS, solidImage, writeTinyModelFixture } from '../helpers/model/tiny-model.js';

const ITEM = 3 * 224 * 224;
let session: ort.InferenceSession;

beforeAll(async () => {
  session = await ort.InferenceSession.create(buildColourModel());
});
afterAll(() => session.release());

async function classify(images: Buffer[], labels: readonly string[]) {
  const tensor = new Float32Array(images.length * ITEM);
  const p: Preprocessing = { resize: 256, crop: 224, channel_order: 'RGB', layout: 'NCHW', scale: 1 / 255, mean: [0, 0, 0], std: [1, 1, 1] };
  for (const [i, image] of images.entries()) tensor.set(await preprocess(image, p), i * ITEM);
  const out = await session.run({ input: new ort.Tensor('float32', tensor, [images.length, 3, 224, 224]) });
  expect(out.output!.dims).toEqual([images.length, 8]);
  return splitBatchOutput(out.output!.data as Float32Array, images.length).map((s) => topK(s, 'logits', 1, labels)[0]!);
}

describe('tiny colour model', () => {
  it('declares a symbolic batch dimension N', () => {
    expect(session.inputNames).toEqual(['input']);
    expect(session.outputNames).toEqual(['output']);
    expect(session.inputMetadata[0]).toMatchObject({ name: 'input', shape: ['N', 3, 224, 224] });
    expect(session.outputMetadata[0]).toMatchObject({ name: 'output', shape: ['N', 8] });
  });

  it('gives each of a batch of 8 photos its own colour', async () => {
    const names = COLOURS.map((c) => c.name);
    // Shuffled, mixed formats and off-corner shades: each item must get its own answer, not its neighbour's.
    const order = [5, 0, 7, 2, 6, 1, 4, 3];
    const formats = ['jpeg', 'png', 'webp'] as const;
    const images = await Promise.all(
      order.map((k, i) => {
        const rgb = COLOURS[k]!.rgb.map((v) => (v > 0 ? 220 : 30)) as [number, number, number];
        return solidImage(rgb, { format: formats[i % 3]!, width: 300 + 10 * i, height: 200 + 20 * i });
      }),
    );
    const top = await classify(images, names);
    expect(top.map((t) => t.label)).toEqual(order.map((k) => names[k]));
    for (const t of top) expect(t.confidence).toBeGreaterThan(0.9);
  });

  it('runs a batch of one', async () => {
    const [top] = await classify([await solidImage([250, 250, 10])], COLOURS.map((c) => c.name));
    expect(top!.label).toBe('yellow');
  });

  it('writes a fixture whose manifest holds the tiny model and the real ones, with true sha256s', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'inferq-tiny-'));
    try {
      const { manifestPath, modelsDir, spec } = await writeTinyModelFixture(dir);
      const manifest = loadManifest(manifestPath);
      expect(manifest.models.map((m) => m.name)).toEqual(['tiny-colour', 'mobilenetv2', 'squeezenet', 'mobilenetv2-mlperf']);
      expect(findModel(manifest, 'tiny-colour')).toEqual(spec);
      expect(spec.model.url).toBeUndefined();
      for (const ref of [spec.model, spec.labels]) {
        expect(createHash('sha256').update(await readFile(join(modelsDir, ref.file))).digest('hex')).toBe(ref.sha256);
      }
      expect(await loadLabels(join(modelsDir, spec.labels.file))).toEqual(COLOURS.map((c) => c.name));
      const fromFile = await ort.InferenceSession.create(join(modelsDir, spec.model.file));
      expect(fromFile.inputNames).toEqual([spec.input_name]);
      await fromFile.release();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
