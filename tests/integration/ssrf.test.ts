import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { solidImage } from '../helpers/model/tiny-model.js';
import { postImage, startStack, type Stack } from '../helpers/processes/stack.js';
import { startWebhookSink } from '../helpers/servers/webhook-sink.js';
import { guardedLookup } from '../../shared/ssrf-guard.js';
import { postWebhook } from '../../worker/webhook-client.js';

// Default configuration: no allow-list. Nothing may reach the loopback receiver.
let stack: Stack;
let sink: Awaited<ReturnType<typeof startWebhookSink>>;
beforeAll(async () => {
  sink = await startWebhookSink();
  stack = await startStack({ ADMIN_TOKEN: 'admin-token-for-tests-0123' }, { workers: 0 });
});
afterAll(async () => {
  await stack?.stop();
  await sink?.close();
});

describe('SSRF guard', () => {
  it('refuses every spelling of a loopback, private, link-local or unspecified address at submit', async () => {
    const p = sink.port;
    const urls = [
      `http://127.0.0.1:${p}/ok`, `http://127.1:${p}/ok`, `http://2130706433:${p}/ok`, `http://0x7f000001:${p}/ok`,
      `http://0177.0.0.1:${p}/ok`, `http://[::1]:${p}/ok`, `http://[::ffff:127.0.0.1]:${p}/ok`, `http://[::ffff:7f00:1]:${p}/ok`,
      `http://0.0.0.0:${p}/ok`, `http://localhost:${p}/ok`, `http://api.localhost:${p}/ok`, `http://169.254.169.254/latest/meta-data`,
      'http://10.0.0.1/x', 'http://192.168.1.1/x', 'http://172.16.0.1/x', 'http://100.64.0.1/x', 'http://224.0.0.1/x',
      'http://[fe80::1]/x', 'http://[fc00::1]/x', 'http://[::]/x', 'file:///etc/passwd', 'gopher://example.com/x',
      'http://user:pw@example.com/x',
    ];
    const img = await solidImage([1, 1, 1]);
    for (const url of urls) {
      const res = await postImage(stack.url, img, { webhook_url: url });
      expect(res.status, url).toBe(400);
      expect(((await res.json()) as any).error.code).toBe('invalid_webhook_url');
    }
    expect(await stack.api.ctx.queue.count()).toBe(0);
    expect(sink.connections).toBe(0);
  });

  it('accepts a public URL', async () => {
    const res = await postImage(stack.url, await solidImage([1, 1, 1]), { webhook_url: 'https://hooks.example.com/inferq' });
    expect(res.status).toBe(202);
  });

  it('refuses at connect time a name that resolves to loopback, before any socket opens', async () => {
    const r = await postWebhook(new URL(`http://localhost:${sink.port}/ok`), '{}', {}, {
      timeoutMs: 2000, maxResponseBytes: 4096, lookup: guardedLookup({ allowedHosts: [] }) as any,
    });
    expect(r.statusCode).toBeNull();
    expect(r.errorCode).toBe('EREFUSED_SSRF');
    expect(sink.connections).toBe(0);
    // The same request with the name allow-listed does connect: the guard, not the network, refused it.
    const ok = await postWebhook(new URL(`http://localhost:${sink.port}/ok`), '{}', {}, {
      timeoutMs: 2000, maxResponseBytes: 4096, lookup: guardedLookup({ allowedHosts: ['localhost'] }) as any,
    });
    expect(ok.statusCode).toBe(200);
  });

  it('shows operators the generated signing secret behind ADMIN_TOKEN only', async () => {
    const url = `${stack.url}/v1/webhooks/secret`;
    expect((await fetch(url)).status).toBe(401);
    expect((await fetch(url, { headers: { Authorization: 'Bearer wrong-token-0123456789' } })).status).toBe(403);
    const auth = { headers: { Authorization: 'Bearer admin-token-for-tests-0123' } };
    const a = (await (await fetch(url, auth)).json()) as { secret: string; source: string };
    expect(a.source).toBe('generated');
    expect(a.secret).toMatch(/^whsec_[A-Za-z0-9+/=]{32}$/);
    expect(((await (await fetch(url, auth)).json()) as { secret: string }).secret).toBe(a.secret);
  });
});
