import net from 'node:net';

/**
 * A loopback TCP port free at the time of asking (the kernel's pick for port 0). Another process may take it
 * before the caller binds it, so a caller that cannot retry should bind port 0 itself.
 */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

/**
 * The first of `n` consecutive loopback ports free at the time of asking, below Linux's ephemeral range (32768
 * and up), for a process that binds base, base + 1, … itself (`npm start`'s workers' metrics ports): a port
 * freePort() returns is an ephemeral one, and the one after it may become any client socket's meanwhile (the
 * bench once waited a minute on a worker the launcher had moved to another port).
 */
export async function freePortRun(n: number): Promise<number> {
  const canListen = (port: number) =>
    new Promise<boolean>((resolve) => {
      const srv = net.createServer();
      srv.once('error', () => resolve(false));
      srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
    });
  for (;;) {
    const base = 20_000 + Math.floor(Math.random() * 12_000);
    const free = await Promise.all(Array.from({ length: n }, (_, i) => canListen(base + i)));
    if (free.every(Boolean)) return base;
  }
}
