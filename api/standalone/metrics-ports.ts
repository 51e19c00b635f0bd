import net from 'node:net';

export interface PortChoice {
  /** The port the worker was configured for (WORKER_METRICS_PORT + its index). */
  configured: number;
  /** The port it gets: the configured one when free, else one the OS picked. */
  port: number;
}

/**
 * Metrics ports for `count` workers on `host`: WORKER_METRICS_PORT, +1, +2, … where free, a free port where
 * taken (a second `npm start`, or anything else listening there), so a taken port does not become a crash loop.
 * Every port is held until all are chosen, so no two workers get the same one. 0 means "any port" already.
 */
export async function chooseMetricsPorts(base: number, count: number, host: string): Promise<PortChoice[]> {
  if (base === 0) return Array.from({ length: count }, () => ({ configured: 0, port: 0 }));
  const held: net.Server[] = [];
  try {
    const out: PortChoice[] = [];
    for (let i = 0; i < count; i++) {
      const configured = base + i;
      const server = (configured <= 65535 ? await hold(configured, host) : null) ?? (await hold(0, host));
      if (!server) throw new Error(`no free port on ${host} for a worker's metrics`);
      held.push(server);
      out.push({ configured, port: (server.address() as net.AddressInfo).port });
    }
    return out;
  } finally {
    await Promise.all(held.map((s) => new Promise((resolve) => s.close(resolve))));
  }
}

function hold(port: number, host: string): Promise<net.Server | null> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(null));
    server.listen({ port, host, exclusive: true }, () => resolve(server));
  });
}
