import { z } from 'zod';

/**
 * The named schemas of the contract: each becomes `#/components/schemas/<id>` in /openapi.json (and a named type
 * in the generated client). A schema used without a name is inlined where it is used.
 */
export const contractSchemas = z.registry<{ id: string }>();

/** Names `schema` in the contract and returns it, so a file can declare and register in one statement. */
export function named<T extends z.ZodType>(id: string, schema: T): T {
  contractSchemas.add(schema, { id });
  return schema;
}

const ID_CHARS = '[0-9A-HJKMNP-TV-Z]{26}';
export const JOB_ID_PATTERN = `^job_${ID_CHARS}$`;
export const BATCH_ID_PATTERN = `^bat_${ID_CHARS}$`;
/** A model name (no `i` flag: JSON Schema patterns have none). */
export const MODEL_NAME_PATTERN = /^[a-zA-Z0-9][a-zA-Z0-9._-]{0,63}$/;

export const jobId = z.string().regex(new RegExp(JOB_ID_PATTERN)).meta({ example: 'job_01JABCDEFGHJKMNPQRSTVWXYZ0' });
export const batchId = z.string().regex(new RegExp(BATCH_ID_PATTERN)).meta({ example: 'bat_01JABCDEFGHJKMNPQRSTVWXYZ0' });
/** An ISO-8601 UTC time as the server writes it (`Date#toISOString`); the format is documented, not re-checked. */
export const isoTime = z.string().meta({ format: 'date-time', example: '2026-01-02T03:04:05.678Z' });
export const probability = z.number().min(0).max(1);
export const count = z.int().min(0);
/** A JSON object the client sent and gets back as is. */
export const metadata = z.record(z.string(), z.unknown());

export const ModelRef = named(
  'ModelRef',
  z.object({ name: z.string().meta({ example: 'mobilenetv2' }), version: z.string().meta({ example: '12-int8' }) }),
);
export type ModelRef = z.infer<typeof ModelRef>;
