import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A port that cannot be bound, with what to do about it: the message names the port and its variable. */
export class PortInUseError extends Error {
  constructor(
    readonly port: number,
    readonly host: string,
    readonly variable: string,
  ) {
    super(`${variable}=${port}: port ${port} on ${host} is already in use (another inferq or another program listens there); stop it, or set ${variable} to a free port (0 picks one)`);
    this.name = 'PortInUseError';
  }
}

/** Listens, resolving with the bound port; EADDRINUSE becomes a PortInUseError instead of an unhandled 'error'. */
export function listen(server: Server, port: number, host: string, variable: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException) =>
      reject(err.code === 'EADDRINUSE' ? new PortInUseError(port, host, variable) : err);
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      resolve((server.address() as AddressInfo).port);
    });
  });
}
