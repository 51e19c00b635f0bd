import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';
import { openApiDocument } from '../../api/openapi/index.js';

const REDOCLY = fileURLToPath(new URL('../../node_modules/.bin/redocly', import.meta.url));

interface LintReport {
  totals: { errors: number; warnings: number };
  problems: { ruleId: string; severity: string; message: string; location: { pointer: string }[] }[];
}

/**
 * `/openapi.json` passes Redocly's recommended rules with no error. The warnings left are true of the API:
 * `/health`, `/ready`, `/openapi.json` and `/docs` have no 4xx answer, no license is declared, and the schemas of
 * the JSON-lines streams (`BatchUrlLine`, `BatchResult`) are named but OpenAPI 3.1 cannot attach them to a line.
 */
it('lints clean with @redocly/cli (recommended rules)', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'inferq-openapi-'));
  const file = path.join(dir, 'openapi.json');
  fs.writeFileSync(file, JSON.stringify(openApiDocument(), null, 2));
  try {
    // No telemetry and no update check: the tests run offline.
    const env = { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true', NO_COLOR: '1' };
    const { stdout } = await promisify(execFile)(REDOCLY, ['lint', file, '--extends=recommended', '--format=json'], { env }).catch(
      (err: { stdout?: string }) => ({ stdout: err.stdout ?? '' }),
    );
    const report = JSON.parse(stdout) as LintReport;
    const errors = report.problems.filter((p) => p.severity === 'error').map((p) => `${p.ruleId} at ${p.location[0]?.pointer}: ${p.message}`);
    expect(errors).toEqual([]);
    expect(report.totals.errors).toBe(0);
    const warnings = report.problems.map((p) => p.ruleId).sort();
    expect(new Set(warnings)).toEqual(new Set(['info-license', 'operation-4xx-response', 'no-unused-components']));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}, 60_000);
