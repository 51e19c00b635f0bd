import { z } from 'zod';
import { named } from './registry.js';
import { ERROR_CODES, type ErrorCode } from './constants.js';

// The table itself is a plain value (constants.ts), so shared/errors.ts needs no zod; the schema is built here.
export { ERROR_CODES, type ErrorCode };

const errorCodes = Object.keys(ERROR_CODES) as [ErrorCode, ...ErrorCode[]];
export const ErrorCodeSchema = named('ErrorCode', z.enum(errorCodes).meta({ description: 'Stable snake_case code; branch on this.' }));

/** Every 4xx/5xx body: `{error: {code, message}, request_id}` (never a stack trace). */
export const ErrorBody = named(
  'Error',
  z.object({
    error: z
      .looseObject({
        code: ErrorCodeSchema,
        message: z.string().meta({ description: 'For humans; may change.' }),
        job_id: z
          .string()
          .optional()
          .meta({ description: 'The job concerned (`POST /predict` timeouts and failures, a timed-out wait).' }),
      }),
    request_id: z.string().meta({ description: 'Same as the `X-Request-Id` header.' }),
  }),
);
export type ErrorBody = z.infer<typeof ErrorBody>;
