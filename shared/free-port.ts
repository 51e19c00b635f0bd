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
