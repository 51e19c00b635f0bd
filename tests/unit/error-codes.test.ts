import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';
import { ERROR_CODES, type ErrorCode } from '../../shared/contract/error-codes.js';
import { AppError } from '../../shared/errors.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const sources = (dir: string): string[] =>
  fs.readdirSync(path.join(ROOT, dir), { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.ts')).map((f) => path.join(dir, f));

/**
 * The type system makes every code an `ErrorCode`, and an AppError takes its status from the contract's table
 * (so /openapi.json and the server agree by construction). This holds the table to that, and finds every place
 * that overrides a code's status, so a new override is a decision someone made, not a slip.
 */
it('an AppError answers with the status the contract gives its code (500 for a job\'s own end)', () => {
  for (const code of Object.keys(ERROR_CODES) as ErrorCode[]) {
    expect(new AppError(code, 'm').status, code).toBe(ERROR_CODES[code] ?? 500);
  }
});

it('overrides a code\'s status only where the code is answered somewhere else than its own endpoint', () => {
  const overrides: string[] = [];
  for (const file of ['api', 'shared', 'worker'].flatMap(sources)) {
    const text = fs.readFileSync(path.join(ROOT, file), 'utf8');
    for (const m of text.matchAll(/new AppError\([^;]*?\{[^}]*\bstatus:/g)) overrides.push(`${file}:${m[0].slice(14, 40)}`);
  }
  // body-parser's own 4xx (bad_request keeps its status), and /predict answering a failed job's code.
  expect(overrides.map((o) => o.split(':')[0]).sort()).toEqual(['api/middleware/error-handler.ts', 'api/use-cases/predict.ts']);
});

it('lists each code once, snake_case, with an HTTP error status or null (a job\'s own end)', () => {
  for (const [code, status] of Object.entries(ERROR_CODES)) {
    expect(code).toMatch(/^[a-z][a-z0-9_]*$/);
    if (status !== null) expect(status >= 400 && status < 600, code).toBe(true);
  }
});
