import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { loadLabels } from '../../worker/model-labels.js';
import { findModel, loadManifest, type Layout, type ModelManifest, type ModelSpec } from '../../shared/model-manifest.js';

const repoManifest = fileURLToPath(new URL('../../models/manifest.json', import.meta.url));
const sharedModels = process.env.MODEL_MIRROR ?? fileURLToPath(new URL('../../../shared/models', import.meta.url));
const tmp = mkdtempSync(join(tmpdir(), 'inferq-manifest-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function writeJson(name: string, value: unknown): string {
  const path = join(tmp, name);
  writeFileSync(path, typeof value === 'string' ? value : JSON.stringify(value));
  return path;
}

describe('loadManifest', () => {
  it('loads the repo manifest with the preprocessing each model needs', () => {
    const manifest = loadManifest(repoManifest);
    expect(manifest.models.map((m) => m.name)).toEqual(['mobilenetv2', 'squeezenet', 'mobilenetv2-mlperf']);
    const mobilenet = findModel(manifest, 'mobilenetv2')!;
    expect(mobilenet.preprocessing).toMatchObject({ channel_order: 'RGB', layout: 'NCHW', scale: 1 / 255 });
    expect(mobilenet.output).toBe('logits');
    expect(findModel(manifest, 'squeezenet')!.preprocessing).toMatchObject({
      channel_order: 'BGR',
      scale: 1,
      mean: [103.939, 116.779, 123.68],
    });
    expect(findModel(manifest, 'mobilenetv2-mlperf')!.preprocessing).toMatchObject({ layout: 'NHWC', scale: 1 / 127.5 });
    expect(findModel(manifest, 'resnet9000')).toBeUndefined();
  });

  // Needs the shared model directory beside the repo (MODEL_MIRROR, as every developer and CI have it); it is read
  // in place, never copied. Without it this fails rather than skips: the e2e tests need it too.
  it('has the sha256 of every shared model and labels file', async () => {
    expect(existsSync(sharedModels), `the shared models folder ${sharedModels}`).toBe(true);
    for (const spec of loadManifest(repoManifest).models) {
      for (const ref of [spec.model, spec.labels]) {
        const actual = createHash('sha256').update(readFileSync(join(sharedModels, ref.file))).digest('hex');
        expect(actual, `${spec.name} ${ref.file}`).toBe(ref.sha256);
      }
      expect(await loadLabels(join(sharedModels, spec.labels.file))).toHaveLength(spec.num_classes);
    }
  });

  it('lists every problem of a bad manifest, each with its path', () => {
    const good = JSON.parse(readFileSync(repoManifest, 'utf8')) as ModelManifest;
    const bad: Partial<ModelSpec> & Pick<ModelSpec, 'preprocessing' | 'model' | 'labels'> & { chanel_order?: string } =
      structuredClone(good.models[0]!);
    delete bad.input_name;
    bad.preprocessing.layout = 'NCWH' as Layout;
    bad.preprocessing.crop = 300;
    bad.model.sha256 = 'abc';
    bad.labels.file = '../../etc/passwd';
    bad.chanel_order = 'RGB';
    const path = writeJson('bad.json', { models: [bad, good.models[0]] });
    let message = '';
    try {
      loadManifest(path);
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toContain(path);
    for (const expected of [
      'models.0.input_name',
      'models.0.preprocessing.layout',
      'models.0.preprocessing.crop: crop must not exceed resize',
      'models.0.model.sha256',
      'models.0.labels.file',
      'chanel_order',
      'models.1.name: duplicate model name "mobilenetv2"',
    ]) {
      expect(message).toContain(expected);
    }
    expect(message).toMatch(/\(7 problem/);
  });

  it('names the file when it is missing or not JSON', () => {
    expect(() => loadManifest(join(tmp, 'nope.json'))).toThrow(/cannot read model manifest .*nope\.json/);
    expect(() => loadManifest(writeJson('broken.json', '{"models": ['))).toThrow(/broken\.json is not valid JSON/);
    expect(() => loadManifest(writeJson('empty.json', { models: [] }))).toThrow(/models/);
  });
});
