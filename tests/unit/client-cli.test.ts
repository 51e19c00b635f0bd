import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { classifyUploadError } from '../../client/cli/commands/batch/retry.js';
import {
  chunkFiles,
  decideResume,
  inputsDigest,
  cacheDir,
  inputsKey,
  isBatchState,
  pendingChunks,
  readState,
  stateDifferences,
  stateFilePath,
  uploadedFileCount,
  type BatchState,
} from '../../client/cli/commands/batch/state.js';
import { tallyResults } from '../../client/cli/commands/batch/summary.js';
import { inInputOrder } from '../../client/cli/commands/batch/download.js';
import { buildEvalReport, percentile, type EvalItemResult } from '../../client/cli/commands/eval/report.js';
import type { CliIo } from '../../client/cli/context.js';
import { parseCsv, parseLabels } from '../../client/cli/csv.js';
import { EXIT, UsageError } from '../../client/cli/errors.js';
import { chunk, isImageFile, uploadNames, walkImages } from '../../client/cli/files.js';
import { table } from '../../client/cli/format.js';
import { main } from '../../client/cli/main.js';
import { intOption, parseMetadataOption, resultsFormat } from '../../client/cli/options.js';
import { helpText, parseCli } from '../../client/cli/parse.js';
import { runPool } from '../../client/cli/pool.js';
import { InferqClient, InferqError, parseRetryAfter, retryDelayMs } from '../../client/inferq-client.js';

let tmp: string;
beforeAll(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'inferq-cli-unit-'));
});
afterAll(async () => {
  await fs.rm(tmp, { recursive: true, force: true });
});

describe('argument parsing', () => {
  it('finds the command with global options before or after it', () => {
    const a = parseCli(['--url', 'http://127.0.0.1:1', 'submit', '--wait', 'a.jpg', 'b.png', '--top-k', '3']);
    expect(a.command).toBe('submit');
    expect(a.positionals).toEqual(['a.jpg', 'b.png']);
    expect(a.values).toMatchObject({ url: 'http://127.0.0.1:1', wait: true, 'top-k': '3' });
    const b = parseCli(['batch', 'photos', '-o', 'r.csv', '--api-key=k', '--json', '-c', '8']);
    expect(b).toMatchObject({ command: 'batch', positionals: ['photos'], help: false });
    expect(b.values).toMatchObject({ out: 'r.csv', 'api-key': 'k', json: true, concurrency: '8' });
  });

  it('answers help and version', () => {
    expect(parseCli([])).toMatchObject({ command: 'help', help: true });
    expect(parseCli(['--help'])).toMatchObject({ command: 'help', help: true });
    expect(parseCli(['--version'])).toMatchObject({ command: 'version', help: false });
    expect(parseCli(['batch', '--help'])).toMatchObject({ command: 'batch', help: true });
    // --help wins over missing positionals.
    expect(parseCli(['status', '-h'])).toMatchObject({ command: 'status', help: true });
    expect(parseCli(['help', 'eval'])).toMatchObject({ command: 'eval', help: true });
    for (const c of ['submit', 'status', 'cancel', 'models', 'batch', 'eval', 'webhook-secret']) {
      expect(helpText(c)).toContain(`Usage: inferq ${c}`);
      expect(helpText(c)).toContain('--url URL');
    }
    expect(helpText()).toContain('webhook-secret');
  });

  it('refuses unknown commands and options, and wrong argument counts', () => {
    expect(() => parseCli(['sbumit'])).toThrow(/unknown command "sbumit" \(did you mean "submit"\?\)/);
    expect(() => parseCli(['submit', '--nope', 'a.jpg'])).toThrow(UsageError);
    expect(() => parseCli(['submit'])).toThrow(/at least one image/);
    expect(() => parseCli(['status', 'a', 'b'])).toThrow(/unexpected argument "b"/);
    expect(() => parseCli(['batch', 'dir', '--out'])).toThrow(UsageError);
    expect(() => parseCli(['help', 'nope'])).toThrow(/unknown command/);
    // Mistyped options are answered with the closest one of the command (or a global one).
    expect(() => parseCli(['batch', 'dir', '--concurency', '2'])).toThrow(/Unknown option '--concurency' \(did you mean "--concurrency"\?\)/);
    expect(() => parseCli(['models', '--jsno'])).toThrow(/did you mean "--json"/);
  });

  it('validates numbers, formats and metadata', () => {
    expect(intOption({ n: '5' }, 'n', { min: 1, max: 10 })).toBe(5);
    expect(intOption({}, 'n', { min: 1, max: 10, def: 4 })).toBe(4);
    expect(() => intOption({ n: '0' }, 'n', { min: 1, max: 10 })).toThrow(/between 1 and 10/);
    expect(() => intOption({ n: '2.5' }, 'n', { min: 1, max: 10 })).toThrow(/whole number/);
    expect(() => intOption({ n: 'x' }, 'n', { min: 1, max: 10 })).toThrow(/whole number/);
    expect(resultsFormat(undefined, 'out/r.CSV')).toBe('csv');
    expect(resultsFormat(undefined, 'r.jsonl')).toBe('jsonl');
    expect(resultsFormat(undefined, undefined)).toBe('jsonl');
    expect(resultsFormat('CSV', 'r.jsonl')).toBe('csv');
    expect(() => resultsFormat('xml', undefined)).toThrow(/jsonl or csv/);
    expect(parseMetadataOption('{"a":1}')).toEqual({ a: 1 });
    expect(parseMetadataOption(undefined)).toBeUndefined();
    expect(() => parseMetadataOption('[1]')).toThrow(/JSON object/);
    expect(() => parseMetadataOption('{bad')).toThrow(/JSON object/);
  });

  it('main answers usage errors with exit 64 and help with 0, without touching the network', async () => {
    const io = captureIo();
    expect(await main(['submit'], io)).toBe(EXIT.usage);
    expect(io.errText()).toMatch(/at least one image.*\n.*inferq submit --help/s);
    const io2 = captureIo();
    expect(await main(['batch', '--help'], io2)).toBe(EXIT.ok);
    expect(io2.outText()).toContain('--resume');
    const io3 = captureIo();
    expect(await main(['models', '--url', 'ftp://x'], io3)).toBe(EXIT.usage);
    expect(io3.errText()).toContain('--url must be http(s)');
    const io4 = captureIo();
    expect(await main(['webhook-secret'], { ...io4, env: {} })).toBe(EXIT.usage);
    expect(io4.errText()).toContain('INFERQ_ADMIN_TOKEN');
  });
});

function captureIo(): CliIo & { outText: () => string; errText: () => string } {
  let out = '';
  let err = '';
  const sink = (append: (s: string) => void) =>
    ({
      write: (s: string) => {
        append(String(s));
        return true;
      },
      isTTY: false,
    }) as unknown as NodeJS.WritableStream;
  return {
    stdout: sink((s) => (out += s)),
    stderr: sink((s) => (err += s)),
    env: {},
    cwd: tmp,
    signal: new AbortController().signal,
    outText: () => out,
    errText: () => err,
  };
}

describe('folder walking', () => {
  it('finds images recursively by extension, any case, skipping hidden entries, sorted and deduplicated', async () => {
    const root = path.join(tmp, 'walk');
    const files = [
      'a.jpg',
      'B.JPEG',
      'c.Png',
      'd.webp',
      'notes.txt',
      'e.gif',
      '.hidden.jpg',
      'sub/f.jpg',
      'sub/deeper/g.PNG',
      '.git/h.jpg',
      'sub/.cache/i.jpg',
      'noext',
    ];
    for (const f of files) {
      await fs.mkdir(path.dirname(path.join(root, f)), { recursive: true });
      await fs.writeFile(path.join(root, f), 'x');
    }
    // A symlink loop must not hang the walk.
    await fs.symlink(root, path.join(root, 'sub', 'loop'));
    const found = await walkImages([root, path.join(root, 'sub')]);
    expect(found.map((f) => path.relative(root, f))).toEqual(['B.JPEG', 'a.jpg', 'c.Png', 'd.webp', 'sub/deeper/g.PNG', 'sub/f.jpg']);
    expect(found.every((f) => path.isAbsolute(f))).toBe(true);
    // A file named explicitly is taken whatever its extension; relative paths resolve against cwd.
    expect(await walkImages(['notes.txt', 'a.jpg'], root)).toEqual([path.join(root, 'a.jpg'), path.join(root, 'notes.txt')]);
    await expect(walkImages([path.join(root, 'missing')])).rejects.toThrow(/no such file or folder/);
    expect(isImageFile('x.JpG')).toBe(true);
    expect(isImageFile('x.tiff')).toBe(false);
  });
});

describe('chunks and resume state', () => {
  it('chunks consecutively', () => {
    expect(chunk([1, 2, 3, 4, 5], 2)).toEqual([[1, 2], [3, 4], [5]]);
    expect(chunk([], 3)).toEqual([]);
    expect(() => chunk([1], 0)).toThrow(RangeError);
    const files = Array.from({ length: 7 }, (_, i) => `f${i}`);
    expect(chunkFiles(files, 3, 2)).toEqual(['f6']);
    expect(pendingChunks(7, 3, [1])).toEqual([0, 2]);
    expect(pendingChunks(6, 3, [0, 1])).toEqual([]);
    expect(uploadedFileCount(7, 3, [0, 2, 2])).toBe(4);
  });

  const current = { url: 'http://127.0.0.1:8080', model: null, topK: null, inputs: 'abc' };
  const state = (over: Partial<BatchState> = {}): BatchState => ({
    version: 1,
    batch_id: 'bat_01JABCDEFGHJKMNPQRSTVWXYZ0',
    url: 'http://127.0.0.1:8080/',
    model: null,
    top_k: null,
    inputs: 'abc',
    chunk_size: 50,
    files: [],
    uploaded_chunks: [0],
    rejected: [],
    sealed: false,
    created_at: 'x',
    updated_at: 'x',
    ...over,
  });

  it('resumes a matching state file, automatically or with --resume', () => {
    const s = state();
    expect(stateDifferences(s, current)).toEqual([]);
    expect(decideResume(s, current, { resume: false, fresh: false }, 'st')).toEqual({ action: 'resume', state: s });
    expect(decideResume(s, current, { resume: true, fresh: false }, 'st')).toEqual({ action: 'resume', state: s });
  });

  it('starts over when the inputs differ, unless --resume insists', () => {
    const s = state({ inputs: 'other', top_k: 3 });
    expect(stateDifferences(s, current)).toEqual(['top-k (3 vs default)', 'input files']);
    const auto = decideResume(s, current, { resume: false, fresh: false }, 'st');
    expect(auto.action).toBe('fresh');
    expect(auto.action === 'fresh' && auto.note).toMatch(/other inputs/);
    const forced = decideResume(s, current, { resume: true, fresh: false }, 'st');
    expect(forced.action).toBe('error');
    expect(decideResume(state({ model: 'm' }), current, { resume: true, fresh: false }, 'st').action).toBe('error');
    expect(decideResume(state({ url: 'http://127.0.0.1:9' }), current, { resume: false, fresh: false }, 'st').action).toBe('fresh');
  });

  it('handles no state file, --fresh, and both flags', () => {
    expect(decideResume(null, current, { resume: false, fresh: false }, 'st')).toEqual({ action: 'fresh', note: null });
    expect(decideResume(null, current, { resume: true, fresh: false }, 'st')).toMatchObject({ action: 'error' });
    expect(decideResume(state(), current, { resume: false, fresh: true }, 'st')).toMatchObject({ action: 'fresh' });
    expect(decideResume(state(), current, { resume: true, fresh: true }, 'st')).toMatchObject({ action: 'error' });
  });

  it('names the state file after the output, or after the inputs in the cache folder for stdout', () => {
    const key = inputsKey(['/data/photos', '/data/more']);
    expect(key).toMatch(/^[0-9a-f]{16}$/);
    expect(inputsKey(['/data/more', '/data/photos'])).toBe(key);
    expect(inputsKey(['/data/photos'])).not.toBe(key);
    expect(stateFilePath('/x/r.jsonl', '/cache/inferq', key)).toBe('/x/r.jsonl.inferq-batch.json');
    expect(stateFilePath(null, '/cache/inferq', key)).toBe(`/cache/inferq/batch-${key}.json`);
    expect(cacheDir({ XDG_CACHE_HOME: '/xdg' })).toBe('/xdg/inferq');
    expect(cacheDir({ HOME: '/home/u' })).toBe('/home/u/.cache/inferq');
  });

  it('names uploads by their path below the common folder, so nested files of one name stay apart', () => {
    expect(uploadNames(['/p/x/a.jpg', '/p/y/a.jpg', '/p/b.png'])).toEqual(['x/a.jpg', 'y/a.jpg', 'b.png']);
    expect(uploadNames(['/p/flat/a.jpg', '/p/flat/b.jpg'])).toEqual(['a.jpg', 'b.jpg']);
    expect(uploadNames(['/p/one.jpg'])).toEqual(['one.jpg']);
    expect(uploadNames(['/a/b/c.jpg', '/a/d/e/f.jpg'])).toEqual(['b/c.jpg', 'd/e/f.jpg']);
    expect(uploadNames([])).toEqual([]);
  });

  it('puts result lines in input order, by upload name or a unique base name', () => {
    const names = ['x/a.jpg', 'y/a.jpg', 'b.png', 'c.webp'];
    const line = (filename: string | null) => JSON.stringify({ job_id: `j-${filename}`, filename, status: 'succeeded' });
    const jsonl = [line('c.webp'), line('y/a.jpg'), line(null), line('b.png'), line('x/a.jpg')];
    expect(inInputOrder(jsonl, 'jsonl', names)).toEqual([line('x/a.jpg'), line('y/a.jpg'), line('b.png'), line('c.webp'), line(null)]);
    // An item uploaded under its plain name (a chunk of an older run) finds its place when that name is unique.
    expect(inInputOrder([line('c.webp'), line('b.png'), line('a.jpg')], 'jsonl', ['b.png', 'c.webp', 'x/a.jpg'])).toEqual([
      line('b.png'),
      line('c.webp'),
      line('a.jpg'),
    ]);
    const csv = ['job_id,filename,status,label,confidence,error_code', 'j2,"y/a.jpg",succeeded,red,0.9,', 'j1,x/a.jpg,succeeded,red,0.9,'];
    expect(inInputOrder(csv, 'csv', names)).toEqual([csv[0], csv[2], csv[1]]);
    expect(inInputOrder([], 'csv', names)).toEqual([]);
  });

  it('lays out tables in left-aligned columns with no trailing blanks', () => {
    expect(table([['NAME', 'V', 'DESC'], ['tiny-colour', '1', ''], ['a', '22', 'x y']])).toBe('NAME         V   DESC\ntiny-colour  1\na            22  x y');
    expect(table([['  key', 'value'], ['  longer key', 'v']])).toBe('  key         value\n  longer key  v');
  });

  it('digests paths and sizes', () => {
    const a = inputsDigest([{ path: '/a', size: 1 }, { path: '/b', size: 2 }]);
    expect(inputsDigest([{ path: '/a', size: 1 }, { path: '/b', size: 2 }])).toBe(a);
    expect(inputsDigest([{ path: '/a', size: 1 }, { path: '/b', size: 3 }])).not.toBe(a);
    expect(inputsDigest([{ path: '/a', size: 1 }])).not.toBe(a);
  });

  it('reads state files, ignoring unreadable ones', async () => {
    const p = path.join(tmp, 'state.json');
    expect(await readState(p)).toEqual({ state: null, note: null });
    await fs.writeFile(p, JSON.stringify(state()));
    expect((await readState(p)).state?.batch_id).toBe('bat_01JABCDEFGHJKMNPQRSTVWXYZ0');
    await fs.writeFile(p, '{"version":1,');
    expect(await readState(p)).toMatchObject({ state: null, note: expect.stringContaining('unreadable') });
    expect(isBatchState({ ...state(), chunk_size: 0 })).toBe(false);
    expect(isBatchState({ ...state(), uploaded_chunks: ['0'] })).toBe(false);
  });

  it('classifies upload failures', () => {
    const e = (status: number, code: string) => new InferqError({ status, code, message: code });
    expect(classifyUploadError(e(415, 'unsupported_media_type'))).toBe('split');
    expect(classifyUploadError(e(422, 'invalid_image'))).toBe('split');
    expect(classifyUploadError(e(413, 'payload_too_large'))).toBe('split');
    expect(classifyUploadError(e(400, 'too_many_files'))).toBe('split');
    expect(classifyUploadError(e(503, 'overloaded'))).toBe('transient');
    expect(classifyUploadError(e(0, 'network_error'))).toBe('transient');
    expect(classifyUploadError(e(409, 'batch_not_open'))).toBe('fatal');
    expect(classifyUploadError(e(422, 'idempotency_mismatch'))).toBe('fatal');
    expect(classifyUploadError(e(404, 'not_found'))).toBe('fatal');
    expect(classifyUploadError(new Error('x'))).toBe('fatal');
  });
});

describe('percentiles', () => {
  it('interpolates between closest ranks like numpy', () => {
    expect(percentile([], 50)).toBeNull();
    expect(percentile([7], 99)).toBe(7);
    expect(percentile([4, 1, 3, 2], 50)).toBe(2.5);
    expect(percentile([1, 2, 3, 4], 95)).toBeCloseTo(3.85, 10);
    expect(percentile([1, 2, 3, 4], 0)).toBe(1);
    expect(percentile([1, 2, 3, 4], 100)).toBe(4);
    const hundred = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(percentile(hundred, 99)).toBeCloseTo(99.01, 10);
    expect(() => percentile([1], 101)).toThrow(RangeError);
  });
});

describe('CSV and labels', () => {
  it('parses RFC 4180 CSV', () => {
    expect(parseCsv('\ufeffa,b\r\n"x, y","he said ""hi"""\n"multi\nline",\n\n')).toEqual([
      ['a', 'b'],
      ['x, y', 'he said "hi"'],
      ['multi\nline', ''],
    ]);
    expect(parseCsv('a,b')).toEqual([['a', 'b']]);
    expect(() => parseCsv('"open')).toThrow(/not closed/);
  });

  it('reads labels.csv like the shared imagenet sample', async () => {
    const text = await fs.readFile(path.resolve(process.env.INFERQ_SHARED ?? '../shared', 'eval/imagenet-sample/labels.csv'), 'utf8').catch(
      () => 'file,class_index,wnid,label\nn01440764_tench.JPEG,0,n01440764,tench\nn01532829_house_finch.JPEG,12,n01532829,house finch\n',
    );
    const labels = parseLabels(text);
    expect(labels[0]).toEqual({ file: 'n01440764_tench.JPEG', classIndex: 0, wnid: 'n01440764', label: 'tench', line: 2 });
    expect(labels.find((l) => l.classIndex === 12)?.label).toBe('house finch');
    expect(parseLabels('class_index,file\n3,x.jpg\n')).toEqual([{ file: 'x.jpg', classIndex: 3, wnid: null, label: null, line: 2 }]);
    expect(() => parseLabels('file,label\nx.jpg,a\n')).toThrow(/file and class_index/);
    expect(() => parseLabels('file,class_index\nx.jpg,one\n', 'l.csv')).toThrow(/l\.csv:2: class_index/);
    expect(() => parseLabels('file,class_index\nx.jpg,1\nx.jpg,2\n')).toThrow(/listed twice/);
    expect(() => parseLabels('')).toThrow(/empty/);
  });
});

describe('results and reports', () => {
  it('tallies JSONL and CSV result lines', () => {
    const jsonl = [
      JSON.stringify({ job_id: 'j1', filename: 'a.jpg', status: 'succeeded', label: 'red', confidence: 0.9, predictions: [], error_code: null }),
      JSON.stringify({ job_id: 'j2', filename: 'b.jpg', status: 'failed', label: null, confidence: null, predictions: [], error_code: 'invalid_image' }),
    ];
    expect(tallyResults(jsonl, 'jsonl')).toEqual({
      lines: 2,
      byStatus: { succeeded: 1, failed: 1 },
      failed: [{ filename: 'b.jpg', status: 'failed', error_code: 'invalid_image' }],
    });
    const csv = ['job_id,filename,status,label,confidence,error_code', 'j1,"a, 1.jpg",succeeded,red,0.9,', 'j2,b.jpg,canceled,,,'];
    expect(tallyResults(csv, 'csv')).toEqual({
      lines: 2,
      byStatus: { succeeded: 1, canceled: 1 },
      failed: [{ filename: 'b.jpg', status: 'canceled', error_code: null }],
    });
  });

  it('builds an eval report: accuracy, latency percentiles, worst classes', () => {
    const item = (file: string, ci: number, predicted: number[], latency: number, status: EvalItemResult['status'] = 'succeeded'): EvalItemResult => {
      const top5 = predicted.map((c, i) => ({ class_id: c, label: `c${c}`, confidence: 0.9 - i * 0.1 }));
      return {
        file,
        class_index: ci,
        label: `c${ci}`,
        job_id: 'j',
        status,
        latency_ms: status === 'succeeded' ? latency : null,
        predicted: top5[0] ?? null,
        top5,
        top1_correct: status === 'succeeded' && predicted[0] === ci,
        top5_correct: status === 'succeeded' && predicted.includes(ci),
        error: status === 'succeeded' ? null : 'invalid_image',
      };
    };
    const results = [
      item('a', 1, [1, 2], 10),
      item('b', 1, [2, 1], 20),
      item('c', 2, [2], 30),
      item('d', 3, [4, 5], 40),
      item('e', 3, [], 0, 'error'),
    ];
    const r = buildEvalReport(results, { url: 'u', dir: 'd', labels: 'l', missing: [], startedAt: 't', elapsedS: 2, concurrency: 4 });
    expect(r.images).toBe(5);
    expect(r.top1).toBe(0.4);
    expect(r.top5).toBe(0.6);
    expect(r.errors).toBe(1);
    expect(r.latency_ms.p50).toBe(25);
    expect(r.latency_ms.p95).toBe(38.5);
    expect(r.latency_ms.p99).toBe(39.7);
    expect(r.throughput_ips).toBe(2.5);
    expect(r.worst_classes.map((c) => [c.class_index, c.misclassified, c.images])).toEqual([
      [3, 2, 2],
      [1, 1, 2],
    ]);
    expect(r.misclassified[0]).toMatchObject({ file: 'e', error: 'invalid_image', predicted: null });
    expect(r.misclassified.map((m) => m.file).sort()).toEqual(['b', 'd', 'e']);
  });

  it('runs a pool with bounded concurrency and stops at the first error', async () => {
    let inFlight = 0;
    let peak = 0;
    const seen: number[] = [];
    await runPool(Array.from({ length: 20 }, (_, i) => i), 3, async (i) => {
      inFlight++;
      peak = Math.max(peak, inFlight);
      await new Promise((r) => setTimeout(r, 2));
      seen.push(i);
      inFlight--;
    });
    expect(peak).toBe(3);
    expect(seen.sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, i) => i));
    const started: number[] = [];
    await expect(
      runPool(Array.from({ length: 50 }, (_, i) => i), 2, async (i) => {
        started.push(i);
        if (i === 3) throw new Error('boom');
        await new Promise((r) => setTimeout(r, 1));
      }),
    ).rejects.toThrow('boom');
    expect(started.length).toBeLessThan(10);
  });
});

describe('InferqClient against a scripted fetch', () => {
  type Call = { url: string; method: string; headers: Record<string, string>; body: unknown };
  function scripted(responses: (() => Response)[]) {
    const calls: Call[] = [];
    const fetchImpl = (async (input: string | URL | Request, init?: RequestInit) => {
      calls.push({
        url: String(input),
        method: init?.method ?? 'GET',
        headers: Object.fromEntries(Object.entries((init?.headers ?? {}) as Record<string, string>)),
        body: init?.body,
      });
      const next = responses.shift();
      if (!next) throw new Error('no more scripted responses');
      return next();
    }) as typeof fetch;
    return { calls, fetchImpl };
  }
  const json = (status: number, body: unknown, headers: Record<string, string> = {}) => () =>
    new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json', ...headers } });
  const errorBody = (code: string) => ({ error: { code, message: `msg ${code}` }, request_id: 'req_1' });

  it('retries 429/503 after Retry-After for reads and keyed uploads, not for unkeyed uploads', async () => {
    const s = scripted([json(503, errorBody('overloaded'), { 'retry-after': '0' }), json(429, errorBody('rate_limited'), { 'retry-after': '0' }), json(200, { id: 'job_1' })]);
    const c = new InferqClient({ baseUrl: 'http://127.0.0.1:1/', apiKey: 'k1', fetch: s.fetchImpl });
    expect(await c.getJob('job_1')).toEqual({ id: 'job_1' });
    expect(s.calls).toHaveLength(3);
    expect(s.calls[0]!.url).toBe('http://127.0.0.1:1/v1/jobs/job_1');
    expect(s.calls[0]!.headers.Authorization).toBe('Bearer k1');

    const u = scripted([json(503, errorBody('overloaded'), { 'retry-after': '7' })]);
    const cu = new InferqClient({ baseUrl: 'http://127.0.0.1:1', fetch: u.fetchImpl });
    const err = await cu.submitJob({ data: new Uint8Array([1, 2, 3]), filename: 'a.jpg' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InferqError);
    expect(err).toMatchObject({ status: 503, code: 'overloaded', retryAfter: 7, requestId: 'req_1', message: 'msg overloaded' });
    expect(u.calls).toHaveLength(1);
    expect(u.calls[0]!.headers.Authorization).toBeUndefined();

    const k = scripted([json(503, errorBody('overloaded'), { 'retry-after': '0' }), json(202, { id: 'job_2', status: 'queued' })]);
    const ck = new InferqClient({ baseUrl: 'http://127.0.0.1:1', fetch: k.fetchImpl });
    const job = await ck.submitJob({ data: new Uint8Array([1]), filename: 'a.jpg' }, { idempotencyKey: 'key-1', wait: 5, topK: 3, metadata: { a: 1 } });
    expect(job.id).toBe('job_2');
    expect(k.calls).toHaveLength(2);
    expect(k.calls[1]!.headers['Idempotency-Key']).toBe('key-1');
    expect(k.calls[1]!.headers.Prefer).toBe('wait=5');
    const form = k.calls[1]!.body as FormData;
    expect(form.get('top_k')).toBe('3');
    expect(form.get('metadata')).toBe('{"a":1}');
    expect((form.get('image') as File).name).toBe('a.jpg');
  });

  it('gives up after maxRetries', async () => {
    const s = scripted(Array.from({ length: 4 }, () => json(503, errorBody('unavailable'), { 'retry-after': '0' })));
    const c = new InferqClient({ baseUrl: 'http://127.0.0.1:1', fetch: s.fetchImpl, maxRetries: 2 });
    await expect(c.getBatch('bat_1')).rejects.toMatchObject({ status: 503, code: 'unavailable' });
    expect(s.calls).toHaveLength(3);
  });

  it('turns non-JSON errors and network failures into InferqError', async () => {
    const s = scripted([() => new Response('<html>bad gateway</html>', { status: 502 })]);
    const c = new InferqClient({ baseUrl: 'http://127.0.0.1:1', fetch: s.fetchImpl });
    await expect(c.listModels()).rejects.toMatchObject({ status: 502, code: 'http_502' });
    const dead = new InferqClient({
      baseUrl: 'http://127.0.0.1:1',
      maxRetryDelayMs: 1,
      fetch: (async () => {
        throw new TypeError('fetch failed', { cause: Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }) });
      }) as typeof fetch,
    });
    await expect(dead.health()).rejects.toMatchObject({ status: 0, code: 'network_error', message: expect.stringContaining('ECONNREFUSED') });
  });

  it('streams batch results line by line across chunk boundaries', async () => {
    const parts = ['{"a":1}\n{"b', '":2}\r\n\n', '{"c":3}'];
    const s = scripted([
      () =>
        new Response(
          new ReadableStream<Uint8Array>({
            start(ctrl) {
              for (const p of parts) ctrl.enqueue(new TextEncoder().encode(p));
              ctrl.close();
            },
          }),
          { status: 200 },
        ),
    ]);
    const c = new InferqClient({ baseUrl: 'http://127.0.0.1:1', fetch: s.fetchImpl });
    const lines: string[] = [];
    for await (const l of c.batchResults('bat_x', 'csv')) lines.push(l);
    expect(lines).toEqual(['{"a":1}', '{"b":2}', '{"c":3}']);
    expect(s.calls[0]!.url).toBe('http://127.0.0.1:1/v1/batches/bat_x/results?format=csv');
  });

  it('opens a batch with JSON and sends the admin token for the webhook secret', async () => {
    const s = scripted([json(201, { id: 'bat_1', status: 'open' }), json(200, { secret: 'whsec_x', source: 'generated' })]);
    const c = new InferqClient({ baseUrl: 'http://127.0.0.1:1', apiKey: 'k', fetch: s.fetchImpl });
    await c.createBatch({ model: 'm', topK: 2, metadata: { x: 1 } });
    expect(s.calls[0]!.headers['Content-Type']).toBe('application/json');
    expect(JSON.parse(s.calls[0]!.body as string)).toEqual({ model: 'm', top_k: 2, metadata: { x: 1 } });
    expect((await c.webhookSecret('admin-token')).secret).toBe('whsec_x');
    expect(s.calls[1]!.headers.Authorization).toBe('Bearer admin-token');
  });

  it('reads Retry-After as seconds or a date, and bounds the delay', () => {
    expect(parseRetryAfter('3')).toBe(3);
    expect(parseRetryAfter(null)).toBeNull();
    expect(parseRetryAfter('soon')).toBeNull();
    expect(parseRetryAfter(new Date(10_000).toUTCString(), 0)).toBe(10);
    expect(retryDelayMs(0, 2, 30_000)).toBe(2000);
    expect(retryDelayMs(3, null, 30_000)).toBe(2000);
    expect(retryDelayMs(0, 3600, 30_000)).toBe(30_000);
  });
});
