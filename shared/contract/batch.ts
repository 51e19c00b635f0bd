import { z } from 'zod';
import { JobStatus, JobView } from './job.js';
import { LabelSetResult, Prediction } from './prediction.js';
import { batchId, count, isoTime, jobId, metadata, ModelRef, named, probability } from './registry.js';

export const BatchStatus = named('BatchStatus', z.enum(['open', 'processing', 'completed', 'canceled']));
export type BatchStatus = z.infer<typeof BatchStatus>;

export const BatchCounts = named(
  'BatchCounts',
  z.object({ total: count, queued: count, processing: count, succeeded: count, failed: count, canceled: count }),
);
export type BatchCounts = z.infer<typeof BatchCounts>;

/** What became of the lines of a JSON-lines create. */
export const BatchLines = named(
  'BatchLines',
  z
    .object({
      accepted: count,
      refused: count,
      refused_lines: z
        .array(
          z.object({
            line: z.int().min(1).meta({ description: '1-based line number.' }),
            code: z.enum(['invalid_line', 'invalid_image_url']),
            message: z.string(),
          }),
        )
        .max(1000)
        .meta({ description: 'The first 1000 refused lines (`refused` counts them all).' }),
    })
    .meta({ description: 'Only in the answer to a JSON-lines create: what became of its lines.' }),
);

/** What a client sees: `GET /v1/batches/{id}`. */
export const BatchView = named(
  'Batch',
  z
    .object({
      id: batchId,
      status: BatchStatus,
      counts: BatchCounts,
      progress: probability.meta({ description: 'Share of the items that have ended.', example: 0.42 }),
      eta_seconds: z.number().min(0).nullable().meta({ description: 'Estimated time to completion; null when unknown.' }),
      created_at: isoTime,
      sealed_at: isoTime.nullable(),
      completed_at: isoTime.nullable(),
      model: ModelRef,
      top_k: z.int().min(1).max(20),
      label_set: z.string().nullable().meta({ description: 'The label set every item answers in too.' }),
      metadata,
      webhook: z.object({ url: z.string().meta({ format: 'uri' }) }).nullable(),
      deadline_at: isoTime.nullable().meta({ description: 'Items not started by then fail with `deadline_exceeded`; null without a deadline.' }),
      lines: BatchLines.optional(),
    })
    .meta({ description: 'Many images, one handle.' }),
);
export type BatchView = z.infer<typeof BatchView>;

/** One line of `GET /v1/batches/{id}/results?format=jsonl`. */
export const BatchResultLine = named(
  'BatchResult',
  z
    .object({
      job_id: jobId,
      filename: z.string().nullable(),
      status: JobStatus,
      label: z.string().nullable().meta({ description: 'Top-1 label.' }),
      confidence: probability.nullable().meta({ description: 'Top-1 confidence.' }),
      predictions: z.array(Prediction),
      label_set: LabelSetResult.optional(),
      error_code: z.string().nullable().meta({ description: "The item's `error.code`; `canceled` for a canceled item." }),
      image_url: z.string().optional().meta({ format: 'uri', description: 'Items of a JSON-lines batch: the URL the image came from.' }),
      custom_id: z.string().optional().meta({ description: "Items of a JSON-lines batch: the line's `custom_id`, when it had one." }),
    })
    .meta({ description: 'One line of `GET /v1/batches/{id}/results?format=jsonl`.' }),
);
export type BatchResultLine = z.infer<typeof BatchResultLine>;

export const BatchJobsPage = named(
  'BatchJobsPage',
  z.object({
    data: z.array(JobView),
    next_cursor: z.string().nullable().meta({ description: 'Pass as `cursor` for the next page; null on the last page.' }),
  }),
);
export type BatchJobsPage = z.infer<typeof BatchJobsPage>;
