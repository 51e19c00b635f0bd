/** Progress on stderr: a cli-progress bar on a terminal, a plain line every few seconds otherwise (logs, CI). */
import cliProgress from 'cli-progress';
import type { Out } from './context.js';

/** A cli-progress bar on a TTY; otherwise a plain line every few seconds and at the end. */
export class Progress {
  private bar: cliProgress.SingleBar | null = null;
  private total = 0;
  private value = 0;
  private payload: Record<string, unknown> = {};
  private lastLine = 0;

  constructor(
    private readonly stream: Out,
    private readonly label: string,
    private readonly format: string,
    private readonly plain: (value: number, total: number, payload: Record<string, unknown>) => string,
    private readonly plainEveryMs = 5_000,
  ) {}

  start(total: number, value: number, payload: Record<string, unknown> = {}): void {
    this.total = total;
    this.value = value;
    this.payload = payload;
    if (this.stream.isTTY) {
      this.bar = new cliProgress.SingleBar(
        {
          stream: this.stream,
          format: `${this.label.padEnd(8)} [{bar}] {percentage}% | ${this.format}`,
          hideCursor: true,
          clearOnComplete: false,
          barsize: 28,
          etaBuffer: 40,
          fps: 8,
        },
        cliProgress.Presets.shades_classic,
      );
      this.bar.start(total, value, payload);
    } else {
      this.lastLine = Date.now();
    }
  }

  update(value: number, payload: Record<string, unknown> = {}, total?: number): void {
    this.value = value;
    this.payload = { ...this.payload, ...payload };
    if (total !== undefined) this.total = total;
    if (this.bar) {
      if (total !== undefined) this.bar.setTotal(total);
      this.bar.update(value, this.payload);
    } else if (Date.now() - this.lastLine >= this.plainEveryMs) {
      this.lastLine = Date.now();
      this.stream.write(`inferq: ${this.label} ${this.plain(this.value, this.total, this.payload)}\n`);
    }
  }

  increment(n: number, payload: Record<string, unknown> = {}): void {
    this.update(this.value + n, payload);
  }

  stop(): void {
    if (this.bar) {
      this.bar.stop();
      this.bar = null;
    } else {
      this.stream.write(`inferq: ${this.label} ${this.plain(this.value, this.total, this.payload)}\n`);
    }
  }
}
