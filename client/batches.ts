import type { StreamEvent } from './event-stream.js';
import { follow, type FollowOptions } from './follow.js';
import { batchBody, toBlob } from './forms.js';
import { JobsClient } from './jobs.js';
import type { AddImagesOptions, CallOptions, CreateBatchOptions, CreateUrlBatchOptions, EventStreamOptions, ImageInput, ListBatchJobsOptions } from './options.js';
import type { Query } from './transport.js';
import type { Batch, BatchJobsPage, BatchResult, Job, ResultsFormat, UrlBatchItem } from './types.js';

const enc = encodeURIComponent;

/** Batches: create (uploads, or JSON lines of URLs), append, seal, follow, results, items, cancel. */
export class BatchesClient extends JobsClient {

  /** `POST /v1/batches`: an open batch (JSON), or, with `images`, a batch created and sealed at once (multipart). */
  createBatch(opts: CreateBatchOptions = {}): Promise<Batch> {
    const headers: Record<string, string> = {};
    if (opts.idempotencyKey) headers['Idempotency-Key'] = opts.idempotencyKey;
    const { body, contentType } = batchBody(opts);
    if (contentType) headers['Content-Type'] = contentType;
    return this.json<Batch>('POST', '/v1/batches', { ...opts, body, headers, retry: Boolean(opts.idempotencyKey) });
  }

  /**
   * `POST /v1/batches` with JSON lines (`application/x-ndjson`): a batch of image URLs, created and sealed in one
   * request. `lines` is the items, or JSON-lines text or a Blob of it (e.g. `fs.openAsBlob(file)`, read from disk
   * as it is sent). The answer's `lines` reports the lines the server refused (number and reason). Not retried:
   * a retry would make a second batch.
   */
  createUrlBatch(lines: Iterable<UrlBatchItem> | string | Blob, opts: CreateUrlBatchOptions = {}): Promise<Batch> {
    const body = typeof lines === 'string' || lines instanceof Blob ? lines : Array.from(lines, (l) => JSON.stringify(l) + '\n').join('');
    const query: Query = {
      model: opts.model, top_k: opts.topK, label_set: opts.labelSet, cache: opts.cache === false ? 'false' : undefined,
      webhook_url: opts.webhookUrl, deadline_seconds: opts.deadlineSeconds, metadata: opts.metadata ? JSON.stringify(opts.metadata) : undefined,
    };
    // The server appends as it reads: a 100,000-line body takes a while, so the call may take minutes.
    return this.json<Batch>('POST', '/v1/batches', {
      ...opts, query, body, headers: { 'Content-Type': 'application/x-ndjson' }, retry: false, timeoutMs: Math.max(this.timeoutMs, 30 * 60_000),
    });
  }

  /** `POST /v1/batches/{id}/images`: appends images to an open batch (`409 batch_not_open` otherwise). */
  addBatchImages(id: string, images: ImageInput[], opts: AddImagesOptions = {}): Promise<Batch> {
    const form = new FormData();
    for (const image of images) form.append('images', toBlob(image), image.filename);
    const headers: Record<string, string> = {};
    if (opts.idempotencyKey) headers['Idempotency-Key'] = opts.idempotencyKey;
    return this.json<Batch>('POST', `/v1/batches/${enc(id)}/images`, {
      ...opts,
      body: form,
      headers,
      retry: Boolean(opts.idempotencyKey),
    });
  }

  /** `POST /v1/batches/{id}/seal`: no more images. */
  sealBatch(id: string, opts: CallOptions = {}): Promise<Batch> {
    return this.json<Batch>('POST', `/v1/batches/${enc(id)}/seal`, { ...opts, retry: true });
  }

  /** `GET /v1/batches/{id}`: live counts, progress and ETA. */
  getBatch(id: string, opts: CallOptions = {}): Promise<Batch> {
    return this.json<Batch>('GET', `/v1/batches/${enc(id)}`, { ...opts, retry: true });
  }

  /** `POST /v1/batches/{id}/cancel`: cancels every item not yet started. */
  cancelBatch(id: string, opts: CallOptions = {}): Promise<Batch> {
    return this.json<Batch>('POST', `/v1/batches/${enc(id)}/cancel`, { ...opts, retry: true });
  }

  /**
   * `GET /v1/batches/{id}/results`, streamed: one string per line as it arrives (no line ends, empty lines
   * skipped). JSONL: one `BatchResult` per line; CSV: the header line first. Partial while the batch runs.
   */
  async *batchResults(id: string, format: ResultsFormat = 'jsonl', opts: CallOptions = {}): AsyncGenerator<string, void, undefined> {
    const res = await this.send('GET', `/v1/batches/${enc(id)}/results`, {
      ...opts,
      query: { format },
      retry: true,
      stream: true,
    });
    if (!res.body) return;
    const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
    let buf = '';
    let finished = false;
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) {
          finished = true;
          break;
        }
        buf += value;
        let nl: number;
        while ((nl = buf.indexOf('\n')) >= 0) {
          const line = buf.slice(0, nl).replace(/\r$/, '');
          buf = buf.slice(nl + 1);
          if (line.length > 0) yield line;
        }
      }
      const last = buf.replace(/\r$/, '');
      if (last.length > 0) yield last;
    } finally {
      if (!finished) await reader.cancel().catch(() => undefined);
    }
  }

  /**
   * `GET /v1/batches/{id}/events` as an async iterator: `status` with the batch now, `progress` as its counts
   * move (at most 4 a second), then `end` once every item has ended.
   */
  batchEvents(id: string, opts: EventStreamOptions = {}): AsyncGenerator<StreamEvent<Batch>, void, undefined> {
    return this.events<Batch>(`/v1/batches/${enc(id)}/events`, opts);
  }

  /** Follows a batch until every item has ended, like `followJob`; `onUpdate` sees each state (a progress bar). */
  followBatch(id: string, opts: FollowOptions<Batch> = {}): Promise<Batch> {
    const ended = (b: Batch) => (b.status === 'completed' || b.status === 'canceled') && b.completed_at !== null;
    return follow(this.followSource<Batch>(`/v1/batches/${enc(id)}/events`, () => this.getBatch(id), ended, `batch ${id}`), opts);
  }

  /** The JSONL results, parsed. */
  async *batchResultItems(id: string, opts: CallOptions = {}): AsyncGenerator<BatchResult, void, undefined> {
    for await (const line of this.batchResults(id, 'jsonl', opts)) yield JSON.parse(line) as BatchResult;
  }

  /** `GET /v1/batches/{id}/jobs`: one page of items. */
  listBatchJobs(id: string, opts: ListBatchJobsOptions = {}): Promise<BatchJobsPage> {
    return this.json<BatchJobsPage>('GET', `/v1/batches/${enc(id)}/jobs`, {
      ...opts,
      query: { status: opts.status, cursor: opts.cursor, limit: opts.limit },
      retry: true,
    });
  }

  /** Every item of a batch, page after page. */
  async *iterateBatchJobs(id: string, opts: Omit<ListBatchJobsOptions, 'cursor'> = {}): AsyncGenerator<Job, void, undefined> {
    let cursor: string | undefined;
    do {
      const page = await this.listBatchJobs(id, { ...opts, cursor });
      yield* page.data;
      cursor = page.next_cursor ?? undefined;
    } while (cursor);
  }
}
