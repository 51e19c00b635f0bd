import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fs from 'node:fs/promises';
import path from 'node:path';
import sharp from 'sharp';
import net from 'node:net';
import { solidImage } from '../helpers/model/tiny-model.js';
import { postImage, startStack, type Stack } from '../helpers/processes/stack.js';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack({ MAX_UPLOAD_BYTES: String(200 * 1024), MAX_IMAGE_PIXELS: String(4_000_000) }, { workers: 0 });
});
afterAll(async () => {
  await stack?.stop();
});

async function expectError(res: Response, status: number, code: string) {
  expect(res.status).toBe(status);
  expect(res.headers.get('content-type')).toMatch(/application\/json/);
  const body = (await res.json()) as { error: { code: string; message: string }; request_id: string };
  expect(body.error.code).toBe(code);
  expect(body.error.message).toBeTypeOf('string');
  expect(body.request_id).toBe(res.headers.get('x-request-id'));
}

/** Nothing may be left behind by a refused upload: no temp file, no blob, no queued job. */
async function expectNothingKept() {
  const files = await fs.readdir(stack.uploadDir, { recursive: true, withFileTypes: true });
  expect(files.filter((f) => f.isFile()).map((f) => path.join(f.parentPath, f.name))).toEqual([]);
  expect(await stack.api.ctx.queue.count()).toBe(0);
}

describe('bad input gets a clear 4xx and leaves nothing behind', () => {
  it('400 missing_image when no file is sent', async () => {
    const form = new FormData();
    form.append('top_k', '3');
    await expectError(await fetch(`${stack.url}/v1/jobs`, { method: 'POST', body: form }), 400, 'missing_image');
    await expectError(await fetch(`${stack.url}/v1/jobs`, { method: 'POST', body: 'x', headers: { 'content-type': 'text/plain' } }), 400, 'missing_image');
    await expectNothingKept();
  });

  it('400 invalid_field for bad top_k, metadata, priority and webhook URL', async () => {
    const img = await solidImage([1, 2, 3]);
    for (const fields of <Record<string, string>[]>[{ top_k: '0' }, { top_k: '21' }, { top_k: 'abc' }, { metadata: '[1]' }, { metadata: 'nope' }, { metadata: JSON.stringify({ a: 'x'.repeat(3000) }) }, { priority: '11' }]) {
      await expectError(await postImage(stack.url, img, fields), 400, 'invalid_field');
    }
    await expectError(await postImage(stack.url, img, { webhook_url: 'ftp://example.com/x' }), 400, 'invalid_webhook_url');
    await expectNothingKept();
  });

  it('404 unknown_model', async () => {
    await expectError(await postImage(stack.url, await solidImage([1, 2, 3]), { model: 'resnet9000' }), 404, 'unknown_model');
    await expectNothingKept();
  });

  it('413 payload_too_large over MAX_UPLOAD_BYTES', async () => {
    const big = Buffer.concat([await solidImage([9, 9, 9]), Buffer.alloc(300 * 1024, 7)]);
    await expectError(await postImage(stack.url, big), 413, 'payload_too_large');
    await expectNothingKept();
  });

  it('415 for types that are not JPEG, PNG or WebP, whatever their name says', async () => {
    const svg = Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><rect width="10" height="10"/></svg>');
    const gif = await sharp({ create: { width: 8, height: 8, channels: 3, background: '#f00' } }).gif().toBuffer();
    const pdf = Buffer.from('%PDF-1.4\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n');
    for (const bytes of [svg, gif, pdf, Buffer.from('hello world, not an image at all')]) {
      await expectError(await postImage(stack.url, bytes, {}, { filename: 'photo.jpg' }), 415, 'unsupported_media_type');
    }
    await expectNothingKept();
  });

  it('422 invalid_image for a corrupt header and image_too_large over the pixel limit', async () => {
    const corrupt = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.alloc(64, 0x41)]);
    await expectError(await postImage(stack.url, corrupt), 422, 'invalid_image');
    // 3000 × 3000 = 9 MP of one colour compresses to a few KB: refused from its header, not decoded.
    const huge = await sharp({ create: { width: 3000, height: 3000, channels: 3, background: '#888' } }).png().toBuffer();
    const t0 = Date.now();
    await expectError(await postImage(stack.url, huge), 422, 'image_too_large');
    expect(Date.now() - t0).toBeLessThan(2000);
    await expectNothingKept();
  });

  it('answers unknown routes and malformed JSON with the error shape', async () => {
    await expectError(await fetch(`${stack.url}/nope`), 404, 'not_found');
    await expectError(await fetch(`${stack.url}/v1/jobs`, { method: 'POST', body: '{bad', headers: { 'content-type': 'application/json' } }), 400, 'invalid_json');
  });

  it('echoes a client X-Request-Id and generates one otherwise', async () => {
    const mine = await fetch(`${stack.url}/health`, { headers: { 'X-Request-Id': 'abc-123' } });
    expect(mine.headers.get('x-request-id')).toBe('abc-123');
    const theirs = await fetch(`${stack.url}/health`, { headers: { 'X-Request-Id': 'bad id with spaces' } });
    expect(theirs.headers.get('x-request-id')).toMatch(/^req_/);
  });

  it('415 for ZIP and ELF named .jpg, 422 for an image with a payload after its end', async () => {
    const zip = Buffer.concat([Buffer.from([0x50, 0x4b, 0x03, 0x04]), Buffer.alloc(100, 1)]);
    const elf = Buffer.concat([Buffer.from([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0]), Buffer.alloc(100, 0)]);
    for (const bytes of [zip, elf]) await expectError(await postImage(stack.url, bytes, {}, { filename: 'x.jpg' }), 415, 'unsupported_media_type');
    const jpeg = await solidImage([5, 5, 5]);
    const polyglot = Buffer.concat([jpeg, zip, Buffer.from('<script>alert(1)</script>')]);
    await expectError(await postImage(stack.url, polyglot), 422, 'invalid_image');
    const png = await solidImage([5, 5, 5], { format: 'png' });
    await expectError(await postImage(stack.url, Buffer.concat([png, Buffer.from('<html></html>')])), 422, 'invalid_image');
    await expectNothingKept();
  });

  it('400 for two images, an unexpected file field, or too many fields', async () => {
    const img = await solidImage([1, 2, 3]);
    const two = new FormData();
    two.append('image', new Blob([new Uint8Array(img)]), 'a.jpg');
    two.append('file', new Blob([new Uint8Array(img)]), 'b.jpg');
    await expectError(await fetch(`${stack.url}/v1/jobs`, { method: 'POST', body: two }), 400, 'too_many_files');
    await expectError(await postImage(stack.url, img, {}, { field: 'picture' }), 400, 'unexpected_file');
    const fields = Object.fromEntries(Array.from({ length: 30 }, (_, i) => [`f${i}`, 'x']));
    await expectError(await postImage(stack.url, img, fields), 400, 'invalid_field');
    await expectNothingKept();
  });

  it('400 for a truncated multipart body every time, and nothing left behind by clients that abort mid-upload', async () => {
    const port = Number(new URL(stack.url).port);
    const boundary = 'XyZ123';
    const head = `--${boundary}\r\nContent-Disposition: form-data; name="image"; filename="a.jpg"\r\nContent-Type: image/jpeg\r\n\r\n`;
    const img = await solidImage([9, 9, 9]);
    const request = (contentLength: number) =>
      `POST /v1/jobs HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: multipart/form-data; boundary=${boundary}\r\nContent-Length: ${contentLength}\r\n\r\n`;
    /** Sends `body` after a request head announcing `contentLength` bytes, half-closes, returns all it got back. */
    const sendAndHalfClose = (body: Buffer, contentLength = body.length) =>
      new Promise<string>((resolve) => {
        const sock = net.connect(port, '127.0.0.1', () => {
          sock.write(request(contentLength));
          sock.end(body);
        });
        let out = '';
        sock.on('data', (d) => (out += d));
        sock.on('error', () => undefined);
        sock.on('close', () => resolve(out));
      });
    const jsonOf = (raw: string) => JSON.parse(raw.slice(raw.indexOf('\r\n\r\n') + 4)) as { error: { code: string }; request_id: string };
    // The whole request arrives (per Content-Length), but the form lacks its closing boundary; the client then
    // half-closes. The server answers before it closes, every time (it used to lose the race now and then).
    const truncated = Buffer.concat([Buffer.from(head), img.subarray(0, 500)]);
    for (let i = 0; i < 20; i++) {
      const out = await sendAndHalfClose(truncated);
      expect(out).toMatch(/^HTTP\/1.1 400/);
      expect(jsonOf(out).error.code).toBe('malformed_multipart');
    }
    // The client half-closes before the body it announced is complete: 400 in the error shape, then close.
    for (let i = 0; i < 5; i++) {
      const out = await sendAndHalfClose(truncated, truncated.length + 1_000);
      expect(out).toMatch(/^HTTP\/1.1 400/);
      expect(out).toMatch(/connection: close/i);
      const body = jsonOf(out);
      expect(body.error.code).toBe('incomplete_body');
      expect(out).toContain(`X-Request-Id: ${body.request_id}`);
    }
    // 20 clients that each send half an upload and vanish.
    await Promise.all(
      Array.from({ length: 20 }, () => new Promise<void>((resolve) => {
        const sock = net.connect(port, '127.0.0.1', () => {
          sock.write(request(head.length + img.length + 100));
          sock.write(head);
          sock.write(img.subarray(0, img.length >> 1), () => setTimeout(() => { sock.destroy(); resolve(); }, 50));
        });
        sock.on('error', () => resolve());
      })),
    );
    await new Promise((r) => setTimeout(r, 500));
    await expectNothingKept();
    expect((await fetch(`${stack.url}/health`)).status).toBe(200);
  });
});
