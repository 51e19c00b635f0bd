import fs from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { uploadMiddleware } from '../../api/middleware/upload.js';
import { uploadError } from '../../api/middleware/upload-errors.js';
import { errorHandler } from '../../api/middleware/error-handler.js';
import { requestId } from '../../api/middleware/request-id.js';
import type { BlobStore } from '../../shared/storage.js';
import type { Logger } from '../../shared/logger.js';

// The upload middleware over real multer and busboy: what each malformed or oversized body answers.
const quiet = { child: () => quiet, debug: () => undefined, error: () => undefined } as unknown as Logger;
let server: http.Server;
let base: string;

beforeAll(async () => {
  const app = express();
  app.use(requestId);
  // One file in memory: the blob store is never reached.
  app.post('/up', uploadMiddleware({} as BlobStore, { maxBytes: 1024, maxFiles: 1, fileFields: ['image'] }), (_req, res) => {
    res.json({ ok: true });
  });
  app.use(errorHandler(quiet));
  server = app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

const B = 'XBOUNDARY';
const part = (name: string, body: string, filename = 'a.png') =>
  `--${B}\r\nContent-Disposition: form-data; name="${name}"; filename="${filename}"\r\nContent-Type: image/png\r\n\r\n${body}\r\n`;

async function send(body: string, contentType = `multipart/form-data; boundary=${B}`) {
  const res = await fetch(`${base}/up`, { method: 'POST', headers: { 'content-type': contentType }, body });
  const json = (await res.json()) as { error?: { code: string } };
  return { status: res.status, code: json.error?.code };
}

describe('upload errors, told apart where the form is read', () => {
  it('a well-formed form passes', async () => {
    expect(await send(part('image', 'png') + `--${B}--\r\n`)).toEqual({ status: 200, code: undefined });
  });

  it('busboy: no boundary, a body cut short, a malformed part header: 400 malformed_multipart', async () => {
    expect(await send(part('image', 'png'), 'multipart/form-data')).toEqual({ status: 400, code: 'malformed_multipart' });
    expect(await send(part('image', 'png').slice(0, -10))).toEqual({ status: 400, code: 'malformed_multipart' });
    expect(await send(`--${B}\r\n${'x'.repeat(100)}\r\n\r\nbody\r\n--${B}--\r\n`)).toEqual({ status: 400, code: 'malformed_multipart' });
  });

  it("multer's limits, by their code", async () => {
    expect(await send(part('image', 'x'.repeat(2048)) + `--${B}--\r\n`)).toEqual({ status: 413, code: 'payload_too_large' });
    expect(await send(part('image', 'a') + part('image', 'b') + `--${B}--\r\n`)).toMatchObject({ status: 400 });
    expect(await send(part('other', 'a') + `--${B}--\r\n`)).toEqual({ status: 400, code: 'unexpected_file' });
  });

  it('a full disk is 507 by its system code; another system error is ours and stays a 500', async () => {
    const enospc = Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC', syscall: 'write' });
    expect(uploadError(enospc)).toMatchObject({ code: 'insufficient_storage', status: 507, retryAfter: 30 });
    const enoent = await fs.open('/nonexistent/inferq/temp').catch((err: unknown) => err);
    expect(uploadError(enoent)).toBe(enoent);
    // A bug in our own storage engine (not a plain Error) is not the body's fault: it stays a 500.
    const bug = new TypeError("Cannot read properties of undefined (reading 'path')");
    expect(uploadError(bug)).toBe(bug);
  });
});
