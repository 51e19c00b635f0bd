import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FsBlobStore } from '../../shared/storage.js';

let root: string;
beforeEach(async () => {
  root = await fs.mkdtemp(path.join(os.tmpdir(), 'inferq-blobs-'));
});
afterEach(() => fs.rm(root, { recursive: true, force: true }));

describe('FsBlobStore', () => {
  it('makes every shard at init, so a put is one write; keys read back what was put', async () => {
    const store = await new FsBlobStore(root).init();
    expect((await fs.readdir(path.join(root, 'blobs'))).length).toBe(256);
    const data = Buffer.from('not really an image');
    const key = await store.put(data);
    expect(key).toMatch(/^[0-9a-f]{32}$/);
    expect(await store.read(key)).toEqual(data);
    expect((await fs.stat(path.join(root, 'blobs', key.slice(0, 2), key))).mode & 0o777).toBe(0o600);
    await store.delete(key);
    await store.delete(key); // a missing blob is not an error
    await expect(store.read(key)).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('makes a shard again when one was removed since init, and adopts temp files too', async () => {
    const store = await new FsBlobStore(root).init();
    await fs.rm(path.join(root, 'blobs'), { recursive: true });
    const key = await store.put(Buffer.from('a'));
    expect(String(await store.read(key))).toBe('a');
    const temp = store.tempPath();
    await fs.writeFile(temp, 'b');
    const adopted = await store.adopt(temp);
    expect(String(await store.read(adopted))).toBe('b');
    await expect(fs.stat(temp)).rejects.toMatchObject({ code: 'ENOENT' });
  });
});
