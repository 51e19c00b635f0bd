import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { postImage, startStack, type Stack } from '../helpers/processes/stack.js';

// A real full disk: the upload directory is a 512 KiB tmpfs (tests run as root on the CI machine).
let mountPoint: string;
let stack: Stack;
beforeAll(async () => {
  mountPoint = await fs.mkdtemp(path.join(os.tmpdir(), 'inferq-full-'));
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=512k', 'tmpfs', mountPoint]);
  stack = await startStack({ UPLOAD_DIR: mountPoint }, { workers: 0 });
});
afterAll(async () => {
  await stack?.stop();
  execFileSync('umount', [mountPoint]);
  await fs.rm(mountPoint, { recursive: true, force: true });
});

async function filesUnder(dir: string) {
  return (await fs.readdir(dir, { recursive: true, withFileTypes: true })).filter((e) => e.isFile() && e.name !== 'filler').map((e) => e.name);
}

describe('upload disk full', () => {
  it('answers 507 with nothing enqueued and no partial file, and recovers when space frees', async () => {
    // Random pixels do not compress: a ~300 KB PNG.
    const noise = Buffer.alloc(300 * 300 * 3);
    let seed = 12345;
    for (let i = 0; i < noise.length; i++) {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      noise[i] = seed >>> 24;
    }
    const big = await sharp(noise, { raw: { width: 300, height: 300, channels: 3 } }).png().toBuffer();
    expect(big.length).toBeGreaterThan(200_000);
    await fs.writeFile(path.join(mountPoint, 'filler'), Buffer.alloc(400 * 1024));

    const res = await postImage(stack.url, big, {}, { filename: 'big.png' });
    expect(res.status).toBe(507);
    const body = (await res.json()) as any;
    expect(body.error.code).toBe('insufficient_storage');
    expect(res.headers.get('retry-after')).toBeTruthy();
    expect(await filesUnder(mountPoint)).toEqual([]);
    expect(await stack.api.ctx.queue.count()).toBe(0);
    // The record written beside the failed blob write is removed: no job is left pointing at a missing image.
    await expect.poll(() => stack.api.ctx.redis.keys(`${stack.prefix}:job:*`), { timeout: 5000 }).toEqual([]);

    await fs.rm(path.join(mountPoint, 'filler'));
    expect((await postImage(stack.url, big, {}, { filename: 'big.png' })).status).toBe(202);
  });
});
