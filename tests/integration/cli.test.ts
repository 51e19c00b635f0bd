/**
 * The `inferq` command as users run it: `node client/bin/inferq.js ...` in a child process, against the real API
 * and worker (tiny-colour model, real Redis). The "photos" are solid-colour images named after their colour.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { COLOURS, solidImage } from '../helpers/model/tiny-model.js';
import { pollJob, postImage, startStack, type Stack } from '../helpers/processes/stack.js';
import { runInferq } from '../helpers/processes/run-cli.js';
import { inputsDigest, type BatchState } from '../../client/cli/commands/batch/state.js';
import { walkImages } from '../../client/cli/files.js';

const ADMIN_TOKEN = 'cli-test-admin-token-0123456789';
const FORMATS = ['jpeg', 'png', 'webp'] as const;
const EXT = { jpeg: 'jpg', png: 'png', webp: 'webp' } as const;

let stack: Stack;
let tmp: string;

const runCli = (args: string[], opts: { cwd?: string; url?: string; env?: Record<string, string> } = {}) =>
  runInferq(args, { ...opts, url: opts.url ?? stack.url });

/** Writes `count` colour images under `dir` (some in sub-folders), named `<colour>-<n>.<ext>`; returns their colours by name. */
async function writePhotos(dir: string, count: number): Promise<Map<string, string>> {
  const cache = new Map<string, Buffer>();
  const names = new Map<string, string>();
  for (let i = 0; i < count; i++) {
    const c = COLOURS[i % COLOURS.length]!;
    const format = FORMATS[i % FORMATS.length]!;
    const key = `${c.name}.${format}`;
    if (!cache.has(key)) cache.set(key, await solidImage(c.rgb, { format, width: 96, height: 64 }));
    const name = `${c.name}-${String(i).padStart(3, '0')}.${EXT[format]}`;
    const sub = i % 3 === 0 ? '' : i % 3 === 1 ? 'a' : path.join('b', 'c');
    await fs.mkdir(path.join(dir, sub), { recursive: true });
    await fs.writeFile(path.join(dir, sub, name), cache.get(key)!);
    names.set(name, c.name);
  }
  return names;
}

beforeAll(async () => {
  stack = await startStack({ BATCH_MAX_SIZE: '8', BATCH_MAX_DELAY_MS: '20', ADMIN_TOKEN });
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'inferq-cli-'));
});
afterAll(async () => {
  await stack?.stop();
  if (tmp) await fs.rm(tmp, { recursive: true, force: true });
});

/** Answered `GET /v1/batches/:id/events` (streams) and `GET /v1/batches/:id` (polls) requests, from the API's metrics. */
async function batchReads(url: string): Promise<{ streams: number; polls: number }> {
  const text = await (await fetch(`${url}/metrics`)).text();
  // One line per status code: summed.
  const count = (route: string) =>
    text
      .split('\n')
      .filter((l) => l.startsWith('inferq_http_request_duration_seconds_count{') && l.includes(`route="${route}"`) && l.includes('method="GET"'))
      .reduce((sum, l) => sum + Number(l.split(' ').pop()), 0);
  return { streams: count('/v1/batches/:id/events'), polls: count('/v1/batches/:id') };
}

describe('inferq jobs and models', () => {
  it('submit --wait prints the right colour for each file', async () => {
    await fs.writeFile(path.join(tmp, 'red.jpg'), await solidImage([250, 10, 10]));
    await fs.writeFile(path.join(tmp, 'green.png'), await solidImage([10, 240, 10], { format: 'png' }));
    const r = await runCli(['submit', '--wait', '--top-k', '3', 'red.jpg', 'green.png'], { cwd: tmp });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    // Each file: a head line, then its predictions with the top one first.
    expect(r.stdout).toMatch(/^red\.jpg {2}job_[0-9A-Z]{26} {2}succeeded.*\n {4}red +\d+\.\d+%/m);
    expect(r.stdout).toMatch(/^green\.png {2}job_[0-9A-Z]{26} {2}succeeded.*\n {4}green +\d+\.\d+%/m);
    expect(r.stdout.indexOf('red.jpg')).toBeLessThan(r.stdout.indexOf('green.png'));
    const predictionLines = r.stdout.split('\n').filter((l) => /^ {4}\S/.test(l));
    expect(predictionLines).toHaveLength(6);
  });

  it('submit prints the job id; status shows the finished job', async () => {
    await fs.writeFile(path.join(tmp, 'blue.webp'), await solidImage([10, 10, 240], { format: 'webp' }));
    const r = await runCli(['submit', path.join(tmp, 'blue.webp'), '--metadata', '{"k":"v"}']);
    expect(r.code).toBe(0);
    const m = /^blue\.webp {2}(job_[0-9A-Z]{26}) {2}queued$/m.exec(r.stdout);
    expect(m, r.stdout).not.toBeNull();
    const id = m![1]!;
    expect((await pollJob(stack.url, id)).status).toBe('succeeded');

    const s = await runCli(['status', id]);
    expect(s.code).toBe(0);
    expect(s.stdout).toMatch(new RegExp(`^${id} {2}succeeded$`, 'm'));
    expect(s.stdout).toMatch(/^ {4}blue +\d+\.\d+%/m);
    expect(s.stdout).toContain('{"k":"v"}');

    const j = await runCli(['status', id, '--json']);
    expect(j.code).toBe(0);
    const job = JSON.parse(j.stdout);
    expect(job).toMatchObject({ id, status: 'succeeded', metadata: { k: 'v' } });
    expect(job.result.predictions[0].label).toBe('blue');
  });

  it('cancel of a finished job fails with a clear message', async () => {
    const res = await postImage(stack.url, await solidImage([240, 240, 10]), {}, { headers: { Prefer: 'wait=10' } });
    const id = ((await res.json()) as { id: string }).id;
    expect((await pollJob(stack.url, id)).status).toBe('succeeded');
    const r = await runCli(['cancel', id]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain(`cannot cancel ${id}: it has already ended (succeeded)`);
  });

  it('status of an unknown job and bad arguments fail with their own exit codes', async () => {
    const r = await runCli(['status', 'job_01JABCDEFGHJKMNPQRSTVWXYZ0']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/not_found: .*HTTP 404/);
    const u = await runCli(['submit']);
    expect(u.code).toBe(64);
    expect(u.stderr).toContain("inferq submit --help");
    const down = await runCli(['models'], { url: 'http://127.0.0.1:9' });
    expect(down.code).toBe(1);
    expect(down.stderr).toContain('is the inferq API running at http://127.0.0.1:9?');
  });

  it('models lists the served models', async () => {
    const r = await runCli(['models']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^NAME +VERSION +DEFAULT/m);
    expect(r.stdout).toMatch(/^tiny-colour +1 +yes +8 /m);
    const j = await runCli(['models', '--json']);
    const list = JSON.parse(j.stdout);
    expect(list.default).toBe('tiny-colour');
    expect(list.data.map((m: { name: string }) => m.name)).toEqual(['tiny-colour']);
    const one = await runCli(['models', 'tiny-colour']);
    expect(one.stdout).toMatch(/output +output logits, 8 classes/);
  });

  it('webhook-secret prints the secret with the admin token and refuses a wrong one', async () => {
    const r = await runCli(['webhook-secret'], { env: { INFERQ_ADMIN_TOKEN: ADMIN_TOKEN } });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^whsec_\S+\n$/);
    const again = await runCli(['webhook-secret', '--admin-token', ADMIN_TOKEN, '--json']);
    expect(JSON.parse(again.stdout)).toEqual({ secret: r.stdout.trim(), source: 'generated' });
    const wrong = await runCli(['webhook-secret', '--admin-token', 'not-the-admin-token-at-all']);
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toMatch(/forbidden/);
  });
});

describe('inferq batch', () => {
  function checkLines(stdout: string, names: Map<string, string>): { job_id: string; filename: string }[] {
    const lines = stdout.trimEnd().split('\n');
    const rows = lines.map((l) => JSON.parse(l));
    expect(rows).toHaveLength(names.size);
    for (const row of rows) {
      expect(row.status).toBe('succeeded');
      expect(names.get(path.posix.basename(row.filename)), row.filename).toBe(row.label);
      expect(row.predictions[0].label).toBe(row.label);
      expect(row.error_code).toBeNull();
    }
    expect(new Set(rows.map((r) => r.filename)).size).toBe(names.size);
    expect(new Set(rows.map((r) => r.job_id)).size).toBe(names.size);
    return rows;
  }

  it('classifies a folder of 40 photos, then a re-run reuses the same batch', async () => {
    const dir = path.join(tmp, 'photos');
    const names = await writePhotos(dir, 40);
    // Not photos: a hidden file, a hidden folder and a text file are skipped.
    await fs.writeFile(path.join(dir, '.hidden.jpg'), 'x');
    await fs.mkdir(path.join(dir, '.thumbs'));
    await fs.writeFile(path.join(dir, '.thumbs', 'red-999.jpg'), 'x');
    await fs.writeFile(path.join(dir, 'notes.txt'), 'x');
    const out = path.join(tmp, 'r.jsonl');

    const before = await batchReads(stack.url);
    const r = await runCli(['batch', dir, '--out', out, '--chunk', '7', '--concurrency', '3'], { cwd: tmp });
    expect(r.code, r.stderr).toBe(0);
    // It never polled the batch: it followed the event stream, at most once (a batch whose last item ended
    // before the seal's answer needs no following; the stuck batch below is always followed).
    const after = await batchReads(stack.url);
    expect(after.polls).toBe(before.polls);
    expect(after.streams - before.streams).toBeLessThanOrEqual(1);
    expect(r.stdout).toBe('');
    const rows = checkLines(await fs.readFile(out, 'utf8'), names);
    expect(r.stderr).toMatch(/batch bat_[0-9A-Z]{26} completed/);
    expect(r.stderr).toMatch(/total 40, succeeded 40, failed 0, canceled 0/);
    expect(r.stderr).toMatch(/elapsed [\d.]+ s, [\d.]+ images\/s/);
    expect(r.stderr).toMatch(/upload 40\/40 files/);
    // In input order (the walk's), each named by its path below the folder, whatever order the chunks arrived in.
    expect(rows.map((x) => x.filename)).toEqual((await walkImages([dir])).map((f) => path.relative(dir, f)));
    expect(rows.some((x) => x.filename.startsWith('b/c/'))).toBe(true);

    // Every item succeeded: the run is complete and its state file is gone.
    const batchId = /batch (bat_[0-9A-Z]{26}) completed/.exec(r.stderr)![1]!;
    await expect(fs.access(`${out}.inferq-batch.json`)).rejects.toThrow();
    const batch = (await (await fetch(`${stack.url}/v1/batches/${batchId}`)).json()) as Record<string, any>;
    expect(batch.counts).toMatchObject({ total: 40, succeeded: 40 });

    // So a re-run is a new batch, with the same answers.
    const again = await runCli(['batch', dir, '--out', out, '--chunk', '7'], { cwd: tmp });
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).not.toContain('resuming');
    expect(again.stderr).not.toContain(batchId);
    const rows2 = checkLines(await fs.readFile(out, 'utf8'), names);
    expect(rows2.map((x) => x.filename)).toEqual(rows.map((x) => x.filename));
    const firstIds = new Set(rows.map((x) => x.job_id));
    expect(rows2.filter((x) => firstIds.has(x.job_id))).toEqual([]);
  });

  it('keeps two files of one name in different folders apart', async () => {
    const dir = path.join(tmp, 'twins');
    for (const [sub, rgb] of [['x', [250, 10, 10]], ['y', [10, 240, 10]]] as const) {
      await fs.mkdir(path.join(dir, sub), { recursive: true });
      await fs.writeFile(path.join(dir, sub, 'a.jpg'), await solidImage([...rgb]));
    }
    const r = await runCli(['batch', 'twins', '--chunk', '1', '--concurrency', '2'], { cwd: tmp, env: { XDG_CACHE_HOME: path.join(tmp, 'cache') } });
    expect(r.code, r.stderr).toBe(0);
    const rows = r.stdout.trimEnd().split('\n').map((l) => JSON.parse(l) as { filename: string; label: string });
    expect(rows.map((x) => [x.filename, x.label])).toEqual([
      ['x/a.jpg', 'red'],
      ['y/a.jpg', 'green'],
    ]);
    // Written to stdout: the state lived in the cache folder, and is removed after the complete run.
    expect(r.stderr).toMatch(/state in .*cache\/inferq\/batch-[0-9a-f]{16}\.json/);
    expect(await fs.readdir(path.join(tmp, 'cache', 'inferq'))).toEqual([]);
  });

  it('resumes a half-uploaded batch without adding its first chunk twice', async () => {
    const dir = path.join(tmp, 'half');
    const names = await writePhotos(dir, 30);
    const files = await walkImages([dir]);
    const sizes = await Promise.all(files.map(async (f) => (await fs.stat(f)).size));
    // What an interrupted run leaves: an open batch holding chunk 0, and a state file saying so.
    const created = await fetch(`${stack.url}/v1/batches`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    expect(created.status).toBe(201);
    const batchId = ((await created.json()) as { id: string }).id;
    const form = new FormData();
    for (const f of files.slice(0, 10)) form.append('images', new Blob([new Uint8Array(await fs.readFile(f))]), path.basename(f));
    expect((await fetch(`${stack.url}/v1/batches/${batchId}/images`, { method: 'POST', body: form })).status).toBe(200);
    const out = path.join(tmp, 'half.jsonl');
    const now = new Date().toISOString();
    const state: BatchState = {
      version: 1,
      batch_id: batchId,
      url: stack.url,
      model: null,
      top_k: null,
      inputs: inputsDigest(files.map((f, i) => ({ path: f, size: sizes[i]! }))),
      chunk_size: 10,
      files,
      uploaded_chunks: [0],
      rejected: [],
      sealed: false,
      created_at: now,
      updated_at: now,
    };
    await fs.writeFile(`${out}.inferq-batch.json`, JSON.stringify(state));

    const r = await runCli(['batch', dir, '--out', out, '--resume'], { cwd: tmp });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain(`resuming batch ${batchId} (open; 10 of 30 files uploaded before)`);
    expect(r.stderr).toMatch(/total 30, succeeded 30/);
    checkLines(await fs.readFile(out, 'utf8'), names);
    // Chunk 0 was not sent again: the batch holds each image once. The complete run removed the state file.
    const batch = (await (await fetch(`${stack.url}/v1/batches/${batchId}`)).json()) as Record<string, any>;
    expect(batch.counts).toMatchObject({ total: 30, succeeded: 30 });
    await expect(fs.access(`${out}.inferq-batch.json`)).rejects.toThrow();
  });

  it('writes CSV to stdout, reports refused files and exits 2', async () => {
    const dir = path.join(tmp, 'mixed');
    await writePhotos(dir, 8);
    await fs.writeFile(path.join(dir, 'bogus.jpg'), 'this is not an image');
    const cache = path.join(tmp, 'cache-mixed');
    const r = await runCli(['batch', 'mixed', '--format', 'csv', '--chunk', '4'], { cwd: tmp, env: { XDG_CACHE_HOME: cache } });
    expect(r.code, r.stderr).toBe(2);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines[0]).toBe('job_id,filename,status,label,confidence,error_code');
    expect(lines).toHaveLength(9);
    for (const line of lines.slice(1)) {
      const [, filename, status, label] = line.split(',');
      expect(status).toBe('succeeded');
      expect(path.posix.basename(filename!).split('-')[0]).toBe(label);
    }
    expect(r.stderr).toMatch(/1 file\(s\) refused by the server:\n {2}mixed\/bogus\.jpg: unsupported_media_type/);
    expect(r.stderr).toMatch(/total 8, succeeded 8, failed 0, canceled 0, refused at upload 1/);
    // Results on stdout: the state is in the cache folder, kept since a file was refused.
    const [stateName, ...others] = await fs.readdir(path.join(cache, 'inferq'));
    expect(others).toEqual([]);
    const state = JSON.parse(await fs.readFile(path.join(cache, 'inferq', stateName!), 'utf8')) as BatchState;
    expect(state.rejected).toEqual([{ file: path.join(dir, 'bogus.jpg'), code: 'unsupported_media_type', message: expect.any(String) }]);
    await expect(fs.access(path.join(tmp, '.inferq-batch-state.json'))).rejects.toThrow();

    // So a re-run from the same folder resumes the completed batch and prints the same results.
    const again = await runCli(['batch', 'mixed', '--format', 'csv', '--chunk', '4'], { cwd: tmp, env: { XDG_CACHE_HOME: cache } });
    expect(again.code, again.stderr).toBe(2);
    expect(again.stderr).toContain(`resuming batch ${state.batch_id} (completed; 9 of 9 files uploaded before)`);
    expect(again.stdout).toBe(r.stdout);
  });
});

describe('inferq eval', () => {
  async function labelledSet(dir: string, perColour: number, wrong: string[] = []): Promise<string> {
    await fs.mkdir(dir, { recursive: true });
    const rows = ['file,class_index,wnid,label'];
    for (let i = 0; i < COLOURS.length * perColour; i++) {
      const idx = i % COLOURS.length;
      const c = COLOURS[idx]!;
      const file = `${c.name}_${i}.png`;
      await fs.writeFile(path.join(dir, file), await solidImage(c.rgb, { format: 'png', width: 64, height: 64 }));
      const labelIdx = wrong.includes(file) ? (idx + 1) % COLOURS.length : idx;
      rows.push(`${file},${labelIdx},c${labelIdx},"${COLOURS[labelIdx]!.name}"`);
    }
    const labels = path.join(dir, 'labels.csv');
    await fs.writeFile(labels, rows.join('\n') + '\n');
    return labels;
  }

  it('reports top-1 = 1.0 and latency percentiles on a correctly labelled set', async () => {
    const dir = path.join(tmp, 'eval');
    const labels = await labelledSet(dir, 2);
    const report = path.join(tmp, 'report.json');
    const r = await runCli(['eval', dir, '--labels', labels, '--out', report, '--concurrency', '4']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/top-1 accuracy +100\.0 % +\(16\/16\)/);
    expect(r.stdout).toMatch(/latency p95 +[\d.]+ m?s/);
    expect(r.stdout).toContain('No misclassified images.');
    const rep = JSON.parse(await fs.readFile(report, 'utf8'));
    expect(rep).toMatchObject({ images: 16, succeeded: 16, errors: 0, top1: 1, top5: 1, model: { name: 'tiny-colour', version: '1' } });
    const { p50, p95, p99 } = rep.latency_ms;
    for (const v of [p50, p95, p99]) expect(v).toBeTypeOf('number');
    expect(p50).toBeGreaterThan(0);
    expect(p50).toBeLessThanOrEqual(p95);
    expect(p95).toBeLessThanOrEqual(p99);
    expect(rep.throughput_ips).toBeGreaterThan(0);
    expect(rep.results).toHaveLength(16);
    expect(rep.misclassified).toEqual([]);
  });

  it('lists the misclassified images with expected vs predicted', async () => {
    const dir = path.join(tmp, 'eval-wrong');
    const labels = await labelledSet(dir, 1, ['red_4.png']);
    const r = await runCli(['eval', dir, '--labels', labels, '--json']);
    expect(r.code, r.stderr).toBe(0);
    const rep = JSON.parse(r.stdout);
    expect(rep.top1).toBe(0.875);
    expect(rep.misclassified).toEqual([
      {
        file: 'red_4.png',
        expected: { class_index: 5, label: 'magenta' },
        predicted: { class_id: 4, label: 'red', confidence: expect.any(Number) },
        in_top5: expect.any(Boolean),
        error: null,
      },
    ]);
    const table = await runCli(['eval', dir, '--labels', labels]);
    expect(table.stdout).toMatch(/Misclassified \(1 of 1.*\n.*\n +red_4\.png +magenta \(5\) +red \(4\)/);
  });
});

describe('inferq with no worker running', () => {
  let idle: Stack;
  beforeAll(async () => {
    idle = await startStack({}, { workers: 0 });
  });
  afterAll(async () => {
    await idle?.stop();
  });

  it('cancels a queued job, then refuses to cancel it again', async () => {
    await fs.writeFile(path.join(tmp, 'white.jpg'), await solidImage([250, 250, 250]));
    const s = await runCli(['submit', path.join(tmp, 'white.jpg')], { url: idle.url });
    const id = /(job_[0-9A-Z]{26})/.exec(s.stdout)![1]!;
    const r = await runCli(['cancel', id], { url: idle.url });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe(`canceled ${id}\n`);
    const again = await runCli(['cancel', id], { url: idle.url });
    expect(again.code).toBe(1);
    expect(again.stderr).toContain(`cannot cancel ${id}: it has already ended (canceled)`);
  });

  it('batch --timeout gives up following; cancel and status work on the batch id', async () => {
    const dir = path.join(tmp, 'stuck');
    await writePhotos(dir, 5);
    const before = await batchReads(idle.url);
    const r = await runCli(['batch', dir, '--out', path.join(tmp, 'stuck.jsonl'), '--timeout', '1'], { url: idle.url });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/still processing after 1 s/);
    // No worker runs here, so the batch was open when sealed and was followed for a second: over its event
    // stream (cut by the timeout, so it is not in the request metrics), never by polling.
    expect((await batchReads(idle.url)).polls).toBe(before.polls);
    const batchId = /(bat_[0-9A-Z]{26})/.exec(r.stderr)![1]!;
    const c = await runCli(['cancel', batchId], { url: idle.url });
    expect(c.code, c.stderr).toBe(0);
    expect(c.stdout).toContain(`canceled batch ${batchId}: 5 of 5 items canceled`);
    const s = await runCli(['status', batchId, '--json'], { url: idle.url });
    expect(JSON.parse(s.stdout)).toMatchObject({ id: batchId, status: 'canceled', counts: { total: 5, canceled: 5 } });
    // A re-run knows the batch was canceled and says how to start over.
    const again = await runCli(['batch', dir, '--out', path.join(tmp, 'stuck.jsonl')], { url: idle.url });
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/was canceled; run with --fresh/);
  });
});
