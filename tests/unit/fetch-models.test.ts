import { createHash, randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ensureModelFiles } from '../../models/fetch-models.js';
import type { ModelManifest, ModelSpec } from '../../shared/model-manifest.js';

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');
// Over 1 MB so the download arrives in many chunks and is hashed while streaming.
const modelBytes = randomBytes(1_500_000);
const labelBytes = Buffer.from('cat\ndog\n');

function spec(name: string, model: Partial<ModelSpec['model']> = {}, labels: Partial<ModelSpec['labels']> = {}): ModelSpec {
  return {
    name,
    version: '1',
    task: 'classification',
    model: { file: `${name}.onnx`, sha256: sha256(modelBytes), ...model },
    labels: { file: 'labels.txt', sha256: sha256(labelBytes), ...labels },
    input_name: 'input',
    output_name: 'output',
    output: 'logits',
    num_classes: 2,
    preprocessing: { resize: 256, crop: 224, channel_order: 'RGB', layout: 'NCHW', scale: 1, mean: [0, 0, 0], std: [1, 1, 1] },
  };
}

let root: string;
let mirror: string;
let modelsDir: string;
const logs: string[] = [];
const log = (m: string) => logs.push(m);

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'inferq-fetch-'));
  mirror = join(root, 'mirror');
  modelsDir = join(root, 'models');
  await mkdir(mirror);
  await writeFile(join(mirror, 'm.onnx'), modelBytes);
  await writeFile(join(mirror, 'labels.txt'), labelBytes);
  logs.length = 0;
});
afterEach(() => rm(root, { recursive: true, force: true }));

async function failure(promise: Promise<unknown>): Promise<string> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(Error);
  return (err as Error).message;
}

/** Everything in modelsDir, so a test can see that no partial or temp file was left. */
const listing = async () => (await readdir(modelsDir).catch(() => [] as string[])).sort();

describe('ensureModelFiles from a mirror', () => {
  it('copies the model and labels files, verified, leaving nothing else', async () => {
    await ensureModelFiles({ manifest: { models: [spec('m')] }, names: ['m'], modelsDir, mirror, log });
    expect(await listing()).toEqual(['labels.txt', 'm.onnx']);
    expect((await readFile(join(modelsDir, 'm.onnx'))).equals(modelBytes)).toBe(true);
    expect(await readFile(join(modelsDir, 'labels.txt'), 'utf8')).toBe('cat\ndog\n');
  });

  it('refuses a mirror file with the wrong sha256 and leaves no file behind', async () => {
    const manifest = { models: [spec('m', { sha256: 'a'.repeat(64) })] };
    const message = await failure(ensureModelFiles({ manifest, names: ['m'], modelsDir, mirror, log }));
    expect(message).toContain('model "m" model file m.onnx');
    expect(message).toContain(`sha256 mismatch: got ${sha256(modelBytes)}, expected ${'a'.repeat(64)}`);
    expect(message).toContain(join(mirror, 'm.onnx'));
    expect(message).toMatch(/MODEL_MIRROR=<dir>/);
    expect((await listing()).filter((f) => f.startsWith('m.onnx'))).toEqual([]);
  });

  it('leaves a file that is already right untouched, without needing any source', async () => {
    await ensureModelFiles({ manifest: { models: [spec('m')] }, names: ['m'], modelsDir, mirror, log });
    const old = new Date('2020-01-01T00:00:00Z');
    await utimes(join(modelsDir, 'm.onnx'), old, old);
    await ensureModelFiles({ manifest: { models: [spec('m')] }, names: ['m'], modelsDir, log });
    expect((await stat(join(modelsDir, 'm.onnx'))).mtime.getTime()).toBe(old.getTime());
    expect(logs).toContain('model "m" model file m.onnx: present, sha256 ok');
  });

  it('replaces a present file whose sha256 is wrong', async () => {
    await mkdir(modelsDir);
    await writeFile(join(modelsDir, 'm.onnx'), 'corrupt');
    await ensureModelFiles({ manifest: { models: [spec('m')] }, names: ['m'], modelsDir, mirror, log });
    expect((await readFile(join(modelsDir, 'm.onnx'))).equals(modelBytes)).toBe(true);
  });

  it('names the missing file and MODEL_MIRROR when there is no URL and no mirror copy', async () => {
    const manifest = { models: [spec('m', { file: 'other.onnx' })] };
    const message = await failure(ensureModelFiles({ manifest, names: ['m'], modelsDir, mirror, log }));
    expect(message).toContain('model "m" model file other.onnx');
    expect(message).toContain(`mirror ${mirror}: has no other.onnx`);
    expect(message).toContain('no public download URL: set MODEL_MIRROR=<dir> to a directory holding other.onnx');
  });

  it('lists the known models for an unknown name, before touching the disk', async () => {
    const manifest: ModelManifest = { models: [spec('m'), spec('n')] };
    const message = await failure(ensureModelFiles({ manifest, names: ['m', 'resnet9000'], modelsDir, mirror }));
    expect(message).toBe('unknown model(s) "resnet9000"; known models: m, n');
    expect(await listing()).toEqual([]);
  });
});

describe('ensureModelFiles by download', () => {
  let server: Server;
  let base: string;
  const requests: string[] = [];

  beforeAll(async () => {
    server = createServer((req, res) => {
      requests.push(req.url ?? '');
      if (req.url === '/old/m.onnx') {
        res.writeHead(302, { location: '/files/m.onnx' }).end();
      } else if (req.url === '/files/m.onnx') {
        // Written in pieces so the client sees a streamed, chunked body.
        res.writeHead(200, { 'content-type': 'application/octet-stream' });
        for (let i = 0; i < modelBytes.length; i += 256 * 1024) res.write(modelBytes.subarray(i, i + 256 * 1024));
        res.end();
      } else if (req.url === '/files/labels.txt') {
        res.end(labelBytes);
      } else if (req.url === '/files/wrong.onnx') {
        res.end(Buffer.concat([modelBytes.subarray(0, 1000), Buffer.from('tampered')]));
      } else {
        res.writeHead(404).end('not found');
      }
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));
  beforeEach(() => {
    requests.length = 0;
  });

  it('downloads, following redirects, and verifies the sha256', async () => {
    const manifest = {
      models: [spec('m', { url: `${base}/old/m.onnx` }, { url: `${base}/files/labels.txt` })],
    };
    await ensureModelFiles({ manifest, names: ['m'], modelsDir, log });
    expect(requests).toEqual(['/old/m.onnx', '/files/m.onnx', '/files/labels.txt']);
    expect((await readFile(join(modelsDir, 'm.onnx'))).equals(modelBytes)).toBe(true);
    expect(await listing()).toEqual(['labels.txt', 'm.onnx']);
  });

  it('prefers the mirror over the URL', async () => {
    const manifest = { models: [spec('m', { url: `${base}/files/m.onnx` }, { url: `${base}/files/labels.txt` })] };
    await ensureModelFiles({ manifest, names: ['m'], modelsDir, mirror, log });
    expect(requests).toEqual([]);
  });

  it('refuses a download with the wrong bytes and leaves no file behind', async () => {
    const manifest = { models: [spec('m', { url: `${base}/files/wrong.onnx` }, { url: `${base}/files/labels.txt` })] };
    const message = await failure(ensureModelFiles({ manifest, names: ['m'], modelsDir, log }));
    expect(message).toContain(`${base}/files/wrong.onnx: sha256 mismatch`);
    expect(message).toContain(`or check network access to ${base}/files/wrong.onnx`);
    expect(await listing()).toEqual([]);
  });

  it('reports an HTTP error and an unreachable host with the URL and what to do', async () => {
    const missing = { models: [spec('m', { url: `${base}/files/gone.onnx` })] };
    expect(await failure(ensureModelFiles({ manifest: missing, names: ['m'], modelsDir, log }))).toContain(
      `${base}/files/gone.onnx: HTTP 404 Not Found`,
    );
    // A port that was free a moment ago: the connection is refused.
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const unreachable = { models: [spec('m', { url: `http://127.0.0.1:${port}/m.onnx` })] };
    const message = await failure(ensureModelFiles({ manifest: unreachable, names: ['m'], modelsDir, log }));
    expect(message).toContain(`http://127.0.0.1:${port}/m.onnx: fetch failed: connect ECONNREFUSED`);
    expect(message).toContain('Set MODEL_MIRROR=<dir> to a directory holding m.onnx, or check network access');
    expect(await listing()).toEqual([]);
  });
});
