import http from 'node:http';
import { BOUNDARY } from './photos.js';
import { sleep } from './stats.js';

/** What the bench reads of a job (the API's JobView, loosely). */
export interface JobJson {
  id: string;
  status: string;
  result?: { predictions: { class_id: number }[] } | null;
  timings?: { queue_ms: number; preprocess_ms: number; inference_ms: number; total_ms: number; batch_size: number } | null;
  error?: { code: string; message: string } | null;
}

export interface Outcome {
  ok: boolean;
  latencyMs: number;
  job?: JobJson;
  error?: string;
  /** GETs spent polling (poll mode, or after a wait that ran out). */
  polls: number;
  /** `Prefer: wait` answered 202: the wait ran out before the job ended. */
  waitTimedOut: boolean;
}

export type Mode = 'wait' | 'poll';

const TERMINAL = new Set(['succeeded', 'failed', 'canceled']);

/**
 * A keep-alive HTTP client for 127.0.0.1 only: plain node:http (cheaper per request than fetch + FormData, which
 * matters when the load generator shares the machine's two cores with the service).
 */
export class BenchClient {
  private readonly agent = new http.Agent({ keepAlive: true, maxSockets: 512 });

  constructor(private readonly port: number) {}

  async request(method: string, path: string, body?: Buffer, headers: Record<string, string> = {}, timeoutMs = 90_000) {
    try {
      return await this.once(method, path, body, headers, timeoutMs);
    } catch (err) {
      // A kept-alive socket the server closed just as we reused it: the request never reached the server, so it
      // is sent again once (what browsers do; Node marks such requests with reusedSocket).
      if ((err as { reused?: boolean }).reused && (err as NodeJS.ErrnoException).code === 'ECONNRESET') {
        return this.once(method, path, body, headers, timeoutMs);
      }
      throw err;
    }
  }

  private once(method: string, path: string, body: Buffer | undefined, headers: Record<string, string>, timeoutMs: number) {
    return new Promise<{ status: number; text: string }>((resolve, reject) => {
      const req = http.request(
        { host: '127.0.0.1', port: this.port, method, path, agent: this.agent, headers: body ? { ...headers, 'Content-Length': body.length } : headers },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString() }));
          res.on('error', reject);
        },
      );
      req.setTimeout(timeoutMs, () => req.destroy(new Error(`${method} ${path}: no answer within ${timeoutMs} ms`)));
      req.on('error', (err) => reject(Object.assign(err, { reused: req.reusedSocket })));
      req.end(body);
    });
  }

  /** Uploads one image and follows it to its end, by `Prefer: wait` or by polling every `pollMs`. */
  async classify(body: Buffer, mode: Mode, startedAt = performance.now(), o: { pollMs?: number; waitSeconds?: number; deadlineMs?: number } = {}): Promise<Outcome> {
    const { pollMs = 10, waitSeconds = 60, deadlineMs = 90_000 } = o;
    const headers: Record<string, string> = { 'Content-Type': `multipart/form-data; boundary=${BOUNDARY}` };
    if (mode === 'wait') headers.Prefer = `wait=${waitSeconds}`;
    let polls = 0;
    let waitTimedOut = false;
    try {
      const res = await this.request('POST', '/v1/jobs', body, headers);
      if (res.status !== 200 && res.status !== 202) return fail(`POST → ${res.status} ${res.text.slice(0, 200)}`);
      waitTimedOut = mode === 'wait' && res.status === 202;
      let job = JSON.parse(res.text) as JobJson;
      while (!TERMINAL.has(job.status)) {
        if (performance.now() - startedAt > deadlineMs) return fail(`job ${job.id} still ${job.status} after ${deadlineMs} ms`);
        await sleep(pollMs);
        polls++;
        const got = await this.request('GET', `/v1/jobs/${job.id}`);
        if (got.status !== 200) return fail(`GET → ${got.status}`);
        job = JSON.parse(got.text) as JobJson;
      }
      return { ok: job.status === 'succeeded', latencyMs: performance.now() - startedAt, job, polls, waitTimedOut };
    } catch (err) {
      return fail(err instanceof Error ? err.message : String(err));
    }
    function fail(error: string): Outcome {
      return { ok: false, latencyMs: performance.now() - startedAt, error, polls, waitTimedOut };
    }
  }

  async getStatus(path: string): Promise<number> {
    return (await this.request('GET', path, undefined, {}, 2_000)).status;
  }

  close(): void {
    this.agent.destroy();
  }
}
