import http from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { solidImage } from '../helpers/model/tiny-model.js';
import { postImage, startStack, type Stack } from '../helpers/processes/stack.js';
import { ADMIN_COOKIE, ADMIN_SESSION_SECONDS, adminRouter, sessionCookieValue } from '../../api/routes/admin.js';
import { requestId } from '../../api/middleware/request-id.js';
import { errorHandler, notFoundRoute } from '../../api/middleware/error-handler.js';
import { routerDeps } from '../../api/router-deps.js';
import type { AdminRoutesDeps } from '../../api/routes/admin.js';

const TOKEN = 'admin-ui-test-token-0123456789';
const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });

let stack: Stack;
/** Base URL serving /admin/queues: the stack's API once api/app.ts mounts adminRouter, else a small app (see below). */
let base: string;
/** A small app mounting adminRouter on a context without ADMIN_TOKEN. */
let offBase: string;
const servers: http.Server[] = [];

/** adminRouter on its own app, with the same request id, 404 and error handling as api/app.ts. */
async function serveAdmin(deps: AdminRoutesDeps): Promise<string> {
  const app = express();
  app.disable('x-powered-by');
  app.use(requestId);
  app.use(adminRouter(deps));
  app.use(notFoundRoute);
  app.use(errorHandler(stack.api.ctx.logger));
  const server = http.createServer(app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  servers.push(server);
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

beforeAll(async () => {
  // No worker: the submitted job stays waiting, so the dashboard has something to show.
  stack = await startStack({ ADMIN_TOKEN: TOKEN }, { workers: 0 });
  // Until api/app.ts mounts the router, the API answers its generic 404 here; then the test runs the router on a
  // small app over the same context. Once wired, the stack's own API is tested.
  const probe = await fetch(`${stack.url}/admin/queues/api/queues`, { headers: bearer(TOKEN) });
  await probe.body?.cancel();
  const deps = routerDeps(stack.api.ctx).admin;
  base = probe.status === 404 ? await serveAdmin(deps) : stack.url;
  offBase = await serveAdmin({ ...deps, adminToken: undefined });
});

afterAll(async () => {
  for (const s of servers) {
    s.closeAllConnections();
    await new Promise<void>((resolve) => s.close(() => resolve()));
  }
  await stack?.stop();
});

async function expectError(res: Response, status: number, code: string) {
  expect(res.status).toBe(status);
  const body = (await res.json()) as { error: { code: string; message: string }; request_id: string };
  expect(body.error.code).toBe(code);
  expect(body.request_id).toBe(res.headers.get('x-request-id'));
  return body;
}

describe('admin UI (/admin/queues)', () => {
  it('is off without ADMIN_TOKEN: 404 not_found, even with a token', async () => {
    for (const path of ['/admin/queues', '/admin/queues/api/queues', '/admin/queues/queue/inference']) {
      const body = await expectError(await fetch(`${offBase}${path}`, { headers: bearer(TOKEN) }), 404, 'not_found');
      expect(body.error.message).toMatch(/ADMIN_TOKEN/);
    }
    await expectError(await fetch(`${offBase}/admin/queues?token=${TOKEN}`, { redirect: 'manual' }), 404, 'not_found');
  });

  it('401 without a token, 403 with a wrong one', async () => {
    const none = await fetch(`${base}/admin/queues`);
    expect(none.headers.get('www-authenticate')).toBe('Bearer');
    await expectError(none, 401, 'unauthorized');
    await expectError(await fetch(`${base}/admin/queues/api/queues`), 401, 'unauthorized');
    await expectError(await fetch(`${base}/admin/queues`, { headers: { Authorization: 'Basic abc' } }), 401, 'unauthorized');
    await expectError(await fetch(`${base}/admin/queues`, { headers: bearer('not-the-admin-token-at-all') }), 403, 'forbidden');
    await expectError(await fetch(`${base}/admin/queues/api/queues`, { headers: bearer(TOKEN + 'x') }), 403, 'forbidden');
  });

  it('serves the dashboard HTML with the right Bearer token', async () => {
    const res = await fetch(`${base}/admin/queues`, { headers: bearer(TOKEN) });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    expect(res.headers.get('x-frame-options')).toBe('DENY');
    expect(res.headers.get('x-powered-by')).toBeNull();
    const html = await res.text();
    expect(html).toContain('inferq queues');
    // Assets are relative to <base href="/admin/queues/">, so they fall under the cookie's /admin path.
    expect(html).toMatch(/<base href="\/admin\/queues\/"/);
    // A deep link to one queue is the same single-page app.
    expect((await fetch(`${base}/admin/queues/queue/inference`, { headers: bearer(TOKEN) })).status).toBe(200);
  });

  it('lists the inference and webhooks queues in its JSON API, with a waiting job', async () => {
    const submitted = await postImage(stack.url, await solidImage([10, 200, 10]));
    expect(submitted.status).toBe(202);
    const { id } = (await submitted.json()) as { id: string };

    const res = await fetch(`${base}/admin/queues/api/queues?activeQueue=inference&status=prioritized`, { headers: bearer(TOKEN) });
    expect(res.status).toBe(200);
    const body = (await res.json()) as {
      queues: { name: string; readOnlyMode: boolean; counts: Record<string, number>; jobs: { id: string; data: Record<string, unknown> }[] }[];
    };
    const names = body.queues.map((q) => q.name);
    expect(names).toContain('inference');
    expect(names).toContain('webhooks');
    const inference = body.queues.find((q) => q.name === 'inference')!;
    expect(inference.readOnlyMode).toBe(true);
    // Every inference job waits in BullMQ's prioritized set (api.md, Priority).
    expect(inference.counts.prioritized).toBeGreaterThanOrEqual(1);
    const job = inference.jobs.find((j) => j.id === id);
    expect(job?.data).toMatchObject({ jobId: id, model: 'tiny-colour' });
    // Payloads hold references, never image bytes.
    expect(JSON.stringify(job?.data).length).toBeLessThan(1000);
    expect(body.queues.find((q) => q.name === 'webhooks')!.readOnlyMode).toBe(false);
  });

  it('keeps the inference queue read-only: BullMQ actions behind the job records are refused', async () => {
    const res = await fetch(`${base}/admin/queues/api/queues/inference/clean/waiting`, { method: 'PUT', headers: bearer(TOKEN) });
    expect(res.status).toBe(405);
    const counts = await fetch(`${base}/admin/queues/api/queues`, { headers: bearer(TOKEN) });
    const inference = ((await counts.json()) as { queues: { name: string; counts: Record<string, number> }[] }).queues.find((q) => q.name === 'inference');
    expect(inference?.counts.prioritized).toBeGreaterThanOrEqual(1);
  });

  it('logs a browser in with ?token= once: HttpOnly SameSite=Strict cookie on /admin, token dropped from the URL', async () => {
    const login = await fetch(`${base}/admin/queues/queue/inference?status=waiting&token=${TOKEN}`, { redirect: 'manual' });
    expect(login.status).toBe(303);
    expect(login.headers.get('location')).toBe('/admin/queues/queue/inference?status=waiting');
    expect(login.headers.get('cache-control')).toBe('no-store');
    expect(login.headers.get('referrer-policy')).toBe('no-referrer');
    const setCookie = login.headers.get('set-cookie') ?? '';
    expect(setCookie).toMatch(new RegExp(`^${ADMIN_COOKIE}=`));
    expect(setCookie).toMatch(/;\s*Path=\/admin(;|$)/);
    expect(setCookie).toMatch(/;\s*HttpOnly/i);
    expect(setCookie).toMatch(/;\s*SameSite=Strict/i);
    expect(setCookie).toMatch(new RegExp(`;\\s*Max-Age=${ADMIN_SESSION_SECONDS}`));
    // The cookie is not the token.
    expect(setCookie).not.toContain(TOKEN);
    const cookie = setCookie.split(';')[0]!;

    const root = await fetch(`${base}/admin/queues?token=${TOKEN}`, { redirect: 'manual' });
    expect(root.headers.get('location')).toBe('/admin/queues');

    const page = await fetch(`${base}/admin/queues`, { headers: { Cookie: cookie } });
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    const api = await fetch(`${base}/admin/queues/api/queues`, { headers: { Cookie: `other=1; ${cookie}` } });
    expect(api.status).toBe(200);
    expect(((await api.json()) as { queues: { name: string }[] }).queues.map((q) => q.name)).toContain('inference');
    // The UI's static assets load with the cookie too.
    const html = await page.text();
    const asset = /src="(static\/js\/[^"]+\.js)"/.exec(html)?.[1];
    expect(asset).toBeTruthy();
    expect((await fetch(`${base}/admin/queues/${asset}`, { headers: { Cookie: cookie } })).status).toBe(200);
    expect((await fetch(`${base}/admin/queues/${asset}`)).status).toBe(401);
  });

  it('refuses a wrong ?token=, a forged, foreign or expired cookie', async () => {
    const wrong = await fetch(`${base}/admin/queues?token=not-the-admin-token-at-all`, { redirect: 'manual' });
    expect(wrong.headers.get('set-cookie')).toBeNull();
    await expectError(wrong, 403, 'forbidden');

    const good = sessionCookieValue(TOKEN);
    const [expires, mac] = good.split('.') as [string, string];
    const cookies = [
      `${ADMIN_COOKIE}=${TOKEN}`,
      `${ADMIN_COOKIE}=${Number(expires) + 3600}.${mac}`,
      `${ADMIN_COOKIE}=${expires}.${mac.startsWith('A') ? 'B' : 'A'}${mac.slice(1)}`,
      `${ADMIN_COOKIE}=${sessionCookieValue('another-deployment-token-0123')}`,
      `${ADMIN_COOKIE}=${sessionCookieValue(TOKEN, Date.now() - (ADMIN_SESSION_SECONDS + 60) * 1000)}`,
      `not_${ADMIN_COOKIE}=${good}`,
    ];
    for (const cookie of cookies) {
      await expectError(await fetch(`${base}/admin/queues/api/queues`, { headers: { Cookie: cookie } }), 401, 'unauthorized');
    }
    expect((await fetch(`${base}/admin/queues/api/queues`, { headers: { Cookie: `${ADMIN_COOKIE}=${good}` } })).status).toBe(200);
    // A request with an Authorization header is judged by it alone, cookie or not.
    await expectError(
      await fetch(`${base}/admin/queues/api/queues`, { headers: { Cookie: `${ADMIN_COOKIE}=${good}`, ...bearer('wrong-token-wrong-token') } }),
      403,
      'forbidden',
    );
  });

  it('leaves other routes alone', async () => {
    expect((await fetch(`${base}/admin/queuesX`, { headers: bearer(TOKEN) })).status).toBe(404);
  });
});
