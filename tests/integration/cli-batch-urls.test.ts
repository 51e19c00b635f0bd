/** `inferq batch --urls FILE` as users run it, against the real API and worker (tiny-colour model) and a loopback image server. */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { solidImage } from '../helpers/model/tiny-model.js';
import { startStack, type Stack } from '../helpers/processes/stack.js';
import { startImageServer, type ImageServer } from '../helpers/servers/image-server.js';
import { runInferq } from '../helpers/processes/run-cli.js';

let stack: Stack;
let server: ImageServer;
let tmp: string;

beforeAll(async () => {
  server = await startImageServer('127.0.0.2', {
    'red.jpg': await solidImage([255, 0, 0], { width: 96, height: 64 }),
    'blue.jpg': await solidImage([0, 0, 255], { width: 96, height: 64 }),
  });
  stack = await startStack({ OUTBOUND_ALLOWED_HOSTS: '127.0.0.2' });
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'inferq-cli-urls-'));
});
afterAll(async () => {
  await stack?.stop();
  await server?.close();
  await fs.rm(tmp, { recursive: true, force: true });
});

const runCli = (args: string[]) => runInferq(args, { url: stack.url, cwd: tmp });

describe('inferq batch --urls', () => {
  it('runs a JSONL file of URLs end to end; results carry custom_id', async () => {
    const lines = ['red', 'blue', 'red'].map((c, i) => JSON.stringify({ image_url: `${server.url}/img/${c}.jpg`, custom_id: `${c}-${i}` }));
    await fs.writeFile(path.join(tmp, 'list.jsonl'), lines.join('\n') + '\n');
    const r = await runCli(['batch', '--urls', 'list.jsonl', '--out', 'r.jsonl']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/3 URL\(s\) accepted, 0 line\(s\) refused/);
    const out = (await fs.readFile(path.join(tmp, 'r.jsonl'), 'utf8')).trim().split('\n').map((l) => JSON.parse(l));
    expect(out).toHaveLength(3);
    for (const o of out) expect(o.label).toBe(o.custom_id.split('-')[0]);
  });

  it('takes a plain list of URLs, reports refused lines and exits 2', async () => {
    await fs.writeFile(path.join(tmp, 'list.txt'), `# colours\n${server.url}/img/red.jpg\n\nhttp://127.0.0.1/x.jpg\n${server.url}/html\n`);
    const r = await runCli(['batch', '--urls', 'list.txt', '--out', 'r.csv']);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toMatch(/line 4: invalid_image_url/);
    const csv = (await fs.readFile(path.join(tmp, 'r.csv'), 'utf8')).trim().split('\n');
    expect(csv[0]).toBe('job_id,filename,status,label,confidence,error_code,image_url,custom_id');
    expect(csv).toHaveLength(3);
    expect(csv.find((l) => l.endsWith(',line-5'))).toMatch(/,failed,,,unsupported_media_type,http:\/\/127\.0\.0\.2:\d+\/html,line-5$/);
    expect(csv.find((l) => l.endsWith(',line-2'))).toMatch(/,succeeded,red,[\d.]+,,http:\/\/127\.0\.0\.2:\d+\/img\/red\.jpg,line-2$/);
  });

  it('refuses --urls with image paths too', async () => {
    const r = await runCli(['batch', '--urls', 'list.txt', 'photos/']);
    expect(r.code).toBe(64);
  });
});
