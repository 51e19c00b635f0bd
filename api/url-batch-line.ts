import { z } from 'zod';
import { AppError } from '../shared/errors.js';
import type { GuardOptions } from '../shared/ssrf-guard.js';
import { MAX_METADATA_BYTES } from './job-fields.js';
import { checkImageUrl } from './use-cases/submit-url-job.js';

/** One item of a JSON-lines batch: the OpenAI Batch API's shape cut to what an image job needs. */
export interface UrlItem {
  imageUrl: string;
  metadata: Record<string, unknown>;
  customId?: string;
}

/** A line that was not taken, told back to the client by its number (1-based). */
export interface RefusedLine {
  line: number;
  code: string;
  message: string;
}

const lineSchema = z.object({
  image_url: z.string({ message: 'image_url: required, a string' }),
  metadata: z
    .record(z.string(), z.unknown(), { message: 'metadata: must be a JSON object' })
    .refine((m) => Buffer.byteLength(JSON.stringify(m)) <= MAX_METADATA_BYTES, `metadata: must be at most ${MAX_METADATA_BYTES} bytes`)
    .optional(),
  custom_id: z.string().min(1, 'custom_id: must not be empty').max(256, 'custom_id: must be at most 256 characters').optional(),
});

/** Reads one line into an item, or says why it is refused (the SSRF guard's static check included). */
export function parseUrlLine(text: string, guard: GuardOptions): UrlItem | Omit<RefusedLine, 'line'> {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return { code: 'invalid_line', message: 'not a JSON object' };
  }
  const r = lineSchema.safeParse(raw);
  if (!r.success) return { code: 'invalid_line', message: r.error.issues.map((i) => i.message).join('; ') };
  try {
    const imageUrl = checkImageUrl(r.data.image_url, guard);
    return { imageUrl, metadata: r.data.metadata ?? {}, ...(r.data.custom_id ? { customId: r.data.custom_id } : {}) };
  } catch (err) {
    if (err instanceof AppError) return { code: err.code, message: err.message };
    throw err;
  }
}
