import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Received {
  path: string;
  headers: http.IncomingHttpHeaders;
  body: string;
  at: number;
}

/**
 * A loopback webhook receiver whose behaviour is chosen by path:
 * `/ok` 200 · `/fail/N` 500 for the first N calls then 200 · `/gone` 410 · `/redirect` 302 to /ok ·
 * `/hang` never answers · `/reset` drops the connection · `/retry-after/S` 503 with Retry-After S once, then 200 ·
 * `/big` 200 with a 1 MB body. Counts every TCP connection it accepts.
 */
export async function startWebhookSink() {
  const received: Received[] = [];
  const calls = new Map<string, number>();
  let connections = 0;
  const hanging = new Set<http.ServerResponse>();
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      const path = req.url ?? '/';
      received.push({ path, headers: req.headers, body, at: Date.now() });
      const n = (calls.get(path) ?? 0) + 1;
      calls.set(path, n);
      const [, kind, arg] = path.split('/');
      if (kind === 'ok') return res.writeHead(200).end('ok');
      if (kind === 'fail') return n <= Number(arg) ? res.writeHead(500).end('no') : res.writeHead(200).end('ok');
      if (kind === 'gone') return res.writeHead(410).end('gone');
      if (kind === 'redirect') return res.writeHead(302, { location: '/ok' }).end();
      if (kind === 'hang') return void hanging.add(res);
      if (kind === 'reset') return req.socket.destroy();
      if (kind === 'retry-after') return n === 1 ? res.writeHead(503, { 'retry-after': arg }).end() : res.writeHead(200).end('ok');
      if (kind === 'big') return res.writeHead(200).end(Buffer.alloc(1 << 20, 97));
      res.writeHead(404).end();
    });
  });
  server.on('connection', () => connections++);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    url: (path: string) => `http://127.0.0.1:${port}${path}`,
    received,
    get connections() {
      return connections;
    },
    /** Resolves when `path` has been called `n` times (or rejects after `timeoutMs`). */
    async waitFor(path: string, n: number, timeoutMs = 15_000): Promise<Received[]> {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const hits = received.filter((r) => r.path === path);
        if (hits.length >= n) return hits;
        if (Date.now() > deadline) throw new Error(`${path}: ${hits.length} of ${n} calls within ${timeoutMs} ms`);
        await new Promise((r) => setTimeout(r, 25));
      }
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const res of hanging) res.socket?.destroy();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
