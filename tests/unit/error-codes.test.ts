import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';
import { ERROR_CODES, type ErrorCode } from '../../shared/contract/error-codes.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const sources = (dir: string): string[] =>
  fs.readdirSync(path.join(ROOT, dir), { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.ts')).map((f) => path.join(dir, f));

/**
 * The type system makes every code an `ErrorCode`; this checks what it cannot: that each `new AppError(code,
 * status …)` in the server answers with the status the contract (and so /openapi.json) gives that code.
 */
it('every AppError is raised with the HTTP status the contract gives its code', () => {
  const seen: string[] = [];
  const wrong: string[] = [];
  for (const file of ['api', 'shared', 'worker'].flatMap(sources)) {
    const text = fs.readFileSync(path.join(ROOT, file), 'utf8');
    for (const m of text.matchAll(/new AppError\(\s*'([a-z_]+)',\s*(\d{3})\b/g)) {
      const [, code, status] = m as unknown as [string, ErrorCode, string];
      seen.push(code);
      if (ERROR_CODES[code] !== Number(status)) wrong.push(`${file}: ${code} raised as ${status}, the contract says ${ERROR_CODES[code]}`);
    }
  }
  expect(wrong).toEqual([]);
  // The scan finds the codes (so the check above means something).
  expect(new Set(seen).size).toBeGreaterThan(20);
});

it('lists each code once, snake_case, with an HTTP error status or null (a job\'s own end)', () => {
  for (const [code, status] of Object.entries(ERROR_CODES)) {
    expect(code).toMatch(/^[a-z][a-z0-9_]*$/);
    if (status !== null) expect(status >= 400 && status < 600, code).toBe(true);
  }
});
