import { describe, expect, it } from 'vitest';
import { AppError, invalidField, notFound, statusOf, unavailable } from '../../shared/errors.js';
import { ERROR_CODES } from '../../shared/contract/error-codes.js';

describe('AppError', () => {
  it('takes its status from the code table', () => {
    expect(new AppError('not_found', 'no job x').status).toBe(404);
    expect(new AppError('payload_too_large', 'big').status).toBe(413);
    expect(new AppError('insufficient_storage', 'full').status).toBe(507);
    expect(new AppError('timeout', 'slow').status).toBe(504);
  });

  it('answers 500 for a code a job ends with (no HTTP status of its own)', () => {
    expect(statusOf('inference_error')).toBe(500);
    expect(new AppError('worker_crashed', 'the worker died').status).toBe(500);
  });

  it('carries details and Retry-After, and a status where the code is answered differently', () => {
    const e = new AppError('fetch_failed', 'cannot fetch', { details: { job_id: 'job_1' }, retryAfter: 3, status: 502 });
    expect(e).toMatchObject({ code: 'fetch_failed', message: 'cannot fetch', status: 502, details: { job_id: 'job_1' }, retryAfter: 3 });
    expect(e).toBeInstanceOf(Error);
    expect(e.name).toBe('AppError');
  });

  it('has helpers for the frequent ones', () => {
    expect(notFound('no batch b')).toMatchObject({ code: 'not_found', status: 404, message: 'no batch b' });
    expect(notFound('unknown model', 'unknown_model')).toMatchObject({ code: 'unknown_model', status: 404 });
    expect(invalidField('limit: must be 1 to 1000')).toMatchObject({ code: 'invalid_field', status: 400 });
    expect(unavailable('down')).toMatchObject({ code: 'unavailable', status: 503, retryAfter: 1 });
    expect(unavailable('full', 30).retryAfter).toBe(30);
  });

  it('maps every code to a client or server error status', () => {
    for (const [code, status] of Object.entries(ERROR_CODES)) {
      if (status !== null) expect(status >= 400 && status < 600, code).toBe(true);
      expect(code).toMatch(/^[a-z]+(_[a-z]+)*$/);
    }
  });
});
