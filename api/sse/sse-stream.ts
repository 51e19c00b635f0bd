import type { Request, Response } from 'express';
import type { SseEventName } from '../../shared/contract/constants.js';

/**
 * A client that has not read this much of what we wrote is too slow to follow live: its stream is closed (it
 * resumes with `Last-Event-ID` and gets the current state), so one stuck reader cannot grow the API's memory.
 */
const MAX_UNREAD_BYTES = 1024 * 1024;

/**
 * One open `text/event-stream` response. Event ids count on from the client's `Last-Event-ID`, so they only
 * grow across reconnections of the same client.
 */
export class SseStream {
  private nextId: number;
  private closed = false;
  private readonly closeHandlers: (() => void)[] = [];

  constructor(
    req: Request,
    private readonly res: Response,
  ) {
    const last = Number(req.get('last-event-id'));
    this.nextId = Number.isSafeInteger(last) && last >= 0 ? last + 1 : 1;
    res.status(200);
    res.setHeader('Content-Type', 'text/event-stream; charset=utf-8');
    // no-transform: a compressing proxy would hold events back until its buffer fills.
    res.setHeader('Cache-Control', 'no-cache, no-transform');
    res.setHeader('Connection', 'keep-alive');
    // nginx buffers proxied responses unless told not to.
    res.setHeader('X-Accel-Buffering', 'no');
    res.flushHeaders();
    // How long EventSource waits before it reconnects after a cut.
    res.write('retry: 2000\n\n');
    res.on('close', () => this.markClosed());
  }

  get isClosed(): boolean {
    return this.closed;
  }

  onClose(fn: () => void): void {
    if (this.closed) fn();
    else this.closeHandlers.push(fn);
  }

  /** `event` is one of the contract's stream event names (shared/contract/events.ts). */
  send(event: SseEventName, data: unknown): void {
    if (this.closed) return;
    this.res.write(`id: ${this.nextId++}\nevent: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
    if (this.res.writableLength > MAX_UNREAD_BYTES) this.close();
  }

  /** A comment line: ignored by clients, keeps proxies and load balancers from closing an idle stream. */
  comment(text: string): void {
    if (!this.closed) this.res.write(`: ${text}\n\n`);
  }

  close(): void {
    if (this.closed) return;
    this.res.end();
    this.markClosed();
  }

  private markClosed(): void {
    if (this.closed && this.closeHandlers.length === 0) return;
    this.closed = true;
    for (const fn of this.closeHandlers.splice(0)) fn();
  }
}
