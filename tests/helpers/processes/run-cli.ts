import { spawn } from 'node:child_process';
import path from 'node:path';

/** The `inferq` command as users run it: `node client/bin/inferq.js ...` in a child process. */
export const CLI_BIN = path.resolve('client/bin/inferq.js');

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the CLI against `url`; the caller's API key and admin token are never passed on unless given in `env`. */
export function runInferq(args: string[], opts: { url: string; cwd?: string; env?: Record<string, string> }): Promise<CliRun> {
  const env: Record<string, string | undefined> = { ...process.env, INFERQ_URL: opts.url, ...opts.env };
  delete env.INFERQ_API_KEY;
  if (!opts.env?.INFERQ_ADMIN_TOKEN) delete env.INFERQ_ADMIN_TOKEN;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI_BIN, ...args], { cwd: opts.cwd ?? process.cwd(), env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}
