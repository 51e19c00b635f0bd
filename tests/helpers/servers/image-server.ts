import http from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A loopback image server for image_url tests that counts every TCP connection it receives and the body bytes it
 * wrote. Routes: `/img/<name>` (one of `images`), `/drip` (a byte every 200 ms, never ending), `/stall` (headers,
 * then silence), `/huge-declared` (Content-Length 1 GB), `/huge` (1 GB chunked, written as fast as it is read),
 * `/html`, `/redirect?to=<url>` (302), `/missing` (404), `/hold/<name>` (headers, then the image once `release()`
 * is called), `POST /hook` (a webhook receiver: bodies kept in `hooks`).
 */
export interface ImageServer {
  url: string;
  port: number;
  connections: number;
  bodyBytes: number;
  /** JSON bodies POSTed to `/hook`. */
  hooks: Record<string, any>[];
  /** Requests waiting at `/hold/…` now. */
  held: number;
  /** Sends every held request its image. */
  release: () => void;
  close: () => Promise<void>;
}

export async function startImageServer(host: string, images: Record<string, Buffer> = {}): Promise<ImageServer> {
  const state = { connections: 0, bodyBytes: 0 };
  const timers = new Set<NodeJS.Timeout>();
  const holding: (() => void)[] = [];
  const hooks: Record<string, any>[] = [];
  const server = http.createServer((req, res) => {
    const u = new URL(req.url ?? '/', 'http://x');
    const img = u.pathname.startsWith('/img/') ? images[u.pathname.slice(5)] : undefined;
    if (req.method === 'POST' && u.pathname === '/hook') {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        hooks.push(JSON.parse(body) as Record<string, any>);
        res.writeHead(204).end();
      });
      return;
    }
    if (u.pathname.startsWith('/hold/')) {
      const held = images[u.pathname.slice(6)] ?? Buffer.alloc(0);
      res.writeHead(200, { 'content-type': 'image/jpeg', 'content-length': held.length });
      res.flushHeaders();
      holding.push(() => res.end(held));
      return;
    }
    if (img) {
      res.writeHead(200, { 'content-type': 'image/jpeg', 'content-length': img.length });
      state.bodyBytes += img.length;
      return res.end(img);
    }
    switch (u.pathname) {
      case '/drip': {
        res.writeHead(200, { 'content-type': 'image/jpeg' });
        const t = setInterval(() => {
          state.bodyBytes += 1;
          res.write(Buffer.from([0xff]));
        }, 200);
        timers.add(t);
        res.on('close', () => clearInterval(t));
        return;
      }
      case '/stall':
        res.writeHead(200, { 'content-type': 'image/jpeg' });
        return res.write(Buffer.from([0xff, 0xd8]));
      case '/huge-declared':
        res.writeHead(200, { 'content-type': 'image/jpeg', 'content-length': String(1 << 30) });
        return res.write(Buffer.alloc(1024));
      case '/huge': {
        res.writeHead(200, { 'content-type': 'image/jpeg' });
        const chunk = Buffer.alloc(64 * 1024);
        let sent = 0;
        // Written only as fast as the client reads (drain), so bodyBytes shows what the client took in.
        const pump = () => {
          while (sent < 1 << 30 && !res.destroyed) {
            sent += chunk.length;
            state.bodyBytes += chunk.length;
            if (!res.write(chunk)) return void res.once('drain', pump);
          }
          res.end();
        };
        return pump();
      }
      case '/html':
        res.writeHead(200, { 'content-type': 'text/html' });
        return res.end('<!doctype html><html><body>not an image</body></html>');
      case '/redirect':
        res.writeHead(302, { location: u.searchParams.get('to') ?? '/' });
        return res.end();
      default:
        res.writeHead(404);
        return res.end();
    }
  });
  server.on('connection', () => state.connections++);
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  const { port } = server.address() as AddressInfo;
  const shown = host.includes(':') ? `[${host}]` : host;
  return {
    url: `http://${shown}:${port}`,
    port,
    get connections() {
      return state.connections;
    },
    get bodyBytes() {
      return state.bodyBytes;
    },
    hooks,
    get held() {
      return holding.length;
    },
    release: () => holding.splice(0).forEach((send) => send()),
    close: () =>
      new Promise<void>((resolve) => {
        timers.forEach(clearInterval);
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
