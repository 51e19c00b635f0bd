import { InferqError, sleep } from './errors.js';
import type { StreamEvent } from './event-stream.js';
import { follow, type FollowOptions } from './follow.js';
import { jobFields, jobForm, submitHeaders } from './forms.js';
import { ModelsClient } from './models.js';
import type { CallOptions, EventStreamOptions, ImageInput, SubmitOptions, WaitOptions } from './options.js';
import { TERMINAL_JOB_STATUSES, type Job, type JobStatus, type PredictResult } from './types.js';

const enc = encodeURIComponent;

export const isTerminalStatus = (s: JobStatus): boolean => TERMINAL_JOB_STATUSES.includes(s);

/** Jobs: submit (an upload or a URL), read, wait, follow, cancel, and the classic `/predict`. */
export class JobsClient extends ModelsClient {

  /** `POST /v1/jobs`: the job, queued (202) or, with `wait`, finished when it ended in time (200). */
  async submitJob(image: ImageInput, opts: SubmitOptions = {}): Promise<Job> {
    const { headers, timeoutMs } = submitHeaders(opts, this.timeoutMs);
    return this.json<Job>('POST', '/v1/jobs', { ...opts, body: jobForm(image, opts), headers, retry: Boolean(opts.idempotencyKey), timeoutMs });
  }

  /**
   * `POST /v1/jobs` with a JSON body: the server fetches the image from `imageUrl` (through its SSRF guard) and
   * answers `202` with the job queued at once; a URL it refuses is `400 invalid_image_url`, a fetch that fails
   * ends the job `failed` with `fetch_failed`.
   */
  submitJobFromUrl(imageUrl: string, opts: SubmitOptions = {}): Promise<Job> {
    const { headers, timeoutMs } = submitHeaders(opts, this.timeoutMs);
    const body = JSON.stringify({ image_url: imageUrl, ...jobFields(opts) });
    return this.json<Job>('POST', '/v1/jobs', {
      ...opts, body, headers: { 'Content-Type': 'application/json', ...headers }, retry: Boolean(opts.idempotencyKey), timeoutMs,
    });
  }

  /** `GET /v1/jobs/{id}`. */
  getJob(id: string, opts: CallOptions = {}): Promise<Job> {
    return this.json<Job>('GET', `/v1/jobs/${enc(id)}`, { ...opts, retry: true });
  }

  /** `POST /v1/jobs/{id}/cancel`: the canceled job; `409 not_cancelable` once it has started or ended. */
  cancelJob(id: string, opts: CallOptions = {}): Promise<Job> {
    return this.json<Job>('POST', `/v1/jobs/${enc(id)}/cancel`, { ...opts, retry: true });
  }

  /** Polls `GET /v1/jobs/{id}` until the job has ended; an `InferqError` with code `timeout` (status 0) after `timeoutMs`. */
  async waitForJob(id: string, opts: WaitOptions = {}): Promise<Job> {
    const timeoutMs = opts.timeoutMs ?? 300_000;
    const pollMs = opts.pollMs ?? 500;
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const job = await this.getJob(id, opts);
      if (isTerminalStatus(job.status)) return job;
      const left = deadline - Date.now();
      if (left <= 0) {
        throw new InferqError({
          status: 0,
          code: 'timeout',
          message: `job ${id} still ${job.status} after ${Math.round(timeoutMs / 1000)} s`,
          jobId: id,
        });
      }
      await sleep(Math.min(pollMs, left), opts.signal);
    }
  }

  /**
   * `GET /v1/jobs/{id}/events` (Server-Sent Events) as an async iterator: `status` with the job now and at each
   * change, then `end` with the final job; the iteration ends when the server closes the stream.
   */
  jobEvents(id: string, opts: EventStreamOptions = {}): AsyncGenerator<StreamEvent<Job>, void, undefined> {
    return this.events<Job>(`/v1/jobs/${enc(id)}/events`, opts);
  }

  /**
   * Follows a job to its end over its event stream (resumed after cuts, polling when streams do not get
   * through); an `InferqError` with code `timeout` (status 0) after `timeoutMs`.
   */
  followJob(id: string, opts: FollowOptions<Job> = {}): Promise<Job> {
    return follow(this.followSource<Job>(`/v1/jobs/${enc(id)}/events`, () => this.getJob(id), (j) => isTerminalStatus(j.status), `job ${id}`), opts);
  }

  /** `POST /predict`: waits for the result (504 `timeout` names the job in `InferqError.jobId`). */
  predict(image: ImageInput, opts: Omit<SubmitOptions, 'wait'> = {}): Promise<PredictResult> {
    const headers: Record<string, string> = {};
    if (opts.idempotencyKey) headers['Idempotency-Key'] = opts.idempotencyKey;
    return this.json<PredictResult>('POST', '/predict', {
      ...opts,
      body: jobForm(image, opts),
      headers,
      retry: Boolean(opts.idempotencyKey),
      timeoutMs: Math.max(this.timeoutMs, 75_000),
    });
  }
}
