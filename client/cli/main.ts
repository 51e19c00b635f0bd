/**
 * `inferq`: the command line of the inferq API. Run through client/bin/inferq.js (`npx inferq ...`); `main` takes
 * the arguments and returns the exit code. This file only dispatches: parse.ts reads the arguments, each command
 * lives in commands/ (batch in steps under commands/batch/), and the errors below decide the exit code.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { CLIENT_VERSION, InferqClient, InferqError } from '../inferq-client.js';
import { COMMANDS } from './commands/index.js';
import type { CliIo, Ctx } from './context.js';
import { CliError, EXIT, Interrupted, UsageError, describeError, isAbort } from './errors.js';
import { DEFAULT_URL, str } from './options.js';
import { helpText, parseCli, type ParsedCli } from './parse.js';

export type { CliIo } from './context.js';

function defaultIo(): CliIo {
  return { stdout: process.stdout, stderr: process.stderr, env: process.env, cwd: process.cwd() };
}

/**
 * Runs the CLI and resolves with the exit code; never calls process.exit. With the default io, Ctrl-C stops a
 * long command cleanly (a second Ctrl-C exits at once).
 */
export async function main(argv: readonly string[], io: CliIo = defaultIo()): Promise<number> {
  let parsed: ParsedCli;
  const err = (s: string) => void io.stderr.write(s);
  try {
    parsed = parseCli(argv);
  } catch (e) {
    if (e instanceof UsageError) {
      err(`inferq: ${e.message}\nRun 'inferq ${e.command ? `${e.command} ` : ''}--help' for usage.\n`);
      return EXIT.usage;
    }
    throw e;
  }
  if (parsed.command === 'version') {
    io.stdout.write(`inferq ${CLIENT_VERSION}\n`);
    return EXIT.ok;
  }
  if (parsed.help) {
    io.stdout.write(helpText(parsed.command));
    return EXIT.ok;
  }

  const { values, positionals } = parsed;
  const url = str(values, 'url') ?? io.env.INFERQ_URL ?? DEFAULT_URL;
  const apiKey = str(values, 'api-key') ?? io.env.INFERQ_API_KEY;
  let client: InferqClient;
  try {
    client = new InferqClient({ baseUrl: url, apiKey, timeoutMs: parsed.command === 'batch' ? 300_000 : 60_000 });
  } catch (e) {
    err(`inferq: ${(e as Error).message.replace(/^InferqClient: baseUrl/, '--url')}\n`);
    return EXIT.usage;
  }

  let signal = io.signal;
  let cleanup = () => undefined as void;
  if (!signal && io.stdout === process.stdout) {
    const ac = new AbortController();
    signal = ac.signal;
    const onSigint = () => {
      if (ac.signal.aborted) process.exit(EXIT.interrupted);
      io.stderr.write('\ninferq: interrupted, stopping (Ctrl-C again to quit at once)\n');
      ac.abort(new Interrupted());
    };
    process.on('SIGINT', onSigint);
    cleanup = () => void process.off('SIGINT', onSigint);
  }

  const ctx: Ctx = {
    ...io,
    signal,
    client,
    url,
    json: values.json === true,
    out: (s) => void io.stdout.write(s),
    err,
  };
  try {
    const command = COMMANDS[parsed.command];
    if (command) return await command.run(ctx, values, positionals);
    err(`inferq: unknown command ${parsed.command}\n`);
    return EXIT.usage;
  } catch (e) {
    if (isAbort(e, signal)) {
      const resumable = parsed.command === 'batch' ? '; run the same command again to resume' : '';
      err(`inferq: interrupted${resumable}\n`);
      return EXIT.interrupted;
    }
    if (e instanceof UsageError) {
      err(`inferq: ${e.message}\nRun 'inferq ${e.command ?? parsed.command} --help' for usage.\n`);
      return EXIT.usage;
    }
    if (e instanceof CliError) {
      err(`inferq: ${e.message}\n`);
      return e.exitCode;
    }
    if (e instanceof InferqError) {
      const hint = e.status === 0 ? `\n  is the inferq API running at ${url}? (set --url or INFERQ_URL)` : '';
      const resumable = parsed.command === 'batch' ? '\n  run the same command again to resume the batch' : '';
      err(`inferq: error: ${describeError(e)}${hint}${resumable}\n`);
      return EXIT.error;
    }
    err(`inferq: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    return EXIT.error;
  } finally {
    cleanup();
  }
}

// `node dist/client/cli/main.js ...` (a built image) or `node --import tsx client/cli/main.ts ...` run the CLI directly; the
// bin shim imports this module and calls `main` itself.
if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.exitCode = await main(process.argv.slice(2));
}
