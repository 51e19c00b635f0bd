/** What a command runs with: the streams, environment and working folder, and the API client. */
import type { InferqClient } from '../inferq-client.js';
import type { CommandSpec, OptionValues } from './options.js';

export type Out = NodeJS.WritableStream & { isTTY?: boolean; columns?: number };

export interface CliIo {
  stdout: Out;
  stderr: Out;
  env: Record<string, string | undefined>;
  cwd: string;
  /** Aborts long commands (Ctrl-C). */
  signal?: AbortSignal;
}

export interface Ctx extends CliIo {
  client: InferqClient;
  url: string;
  json: boolean;
  out: (s: string) => void;
  err: (s: string) => void;
}

/** One command: its declaration (options, help) and what it does; resolves with the exit code. */
export interface Command {
  spec: CommandSpec;
  run(ctx: Ctx, values: OptionValues, positionals: string[]): Promise<number>;
}
