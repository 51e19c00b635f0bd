import { AppError } from '../shared/errors.js';
import type { GuardOptions } from '../shared/ssrf-guard.js';
import type { z } from 'zod';
import { BatchUrlLine } from '../shared/contract/job-fields.js';
import type { BatchLines } from '../shared/contract/batch.js';
import { checkImageUrl } from './use-cases/submit-url-job.js';

/** One item of a JSON-lines batch: the OpenAI Batch API's shape cut to what an image job needs. */
export interface UrlItem {
  imageUrl: string;
  metadata: Record<string, unknown>;
  customId?: string;
}

/** A line that was not taken, told back to the client by its number (1-based). */
export type RefusedLine = z.infer<typeof BatchLines>['refused_lines'][number];

/** The line's shape is the contract's (shared/contract/job-fields.ts). */
const lineSchema = BatchUrlLine;

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
    if (err instanceof AppError && err.code === 'invalid_image_url') return { code: err.code, message: err.message };
    throw err;
  }
}
