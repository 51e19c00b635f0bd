/** How a command declares its options and positionals, the global options, and the checks of option values. */
import type { ResultsFormat } from '../types.js';
import { UsageError } from './errors.js';

export const DEFAULT_URL = 'http://localhost:8080';
/** The server's MAX_BATCH_FILES_PER_REQUEST: `--chunk` may not exceed it. */
export const MAX_FILES_PER_REQUEST = 100;

export interface OptSpec {
  type: 'string' | 'boolean';
  short?: string;
  /** The value's name in help. */
  arg?: string;
  help: string;
}

export interface CommandSpec {
  name: string;
  summary: string;
  usage: string;
  details?: string;
  options: Record<string, OptSpec>;
  positionals: { min: number; max: number; missing?: string };
  examples: string[];
}

export type OptionValues = Record<string, string | boolean | undefined>;

/** Options several commands take, declared once so their help reads the same everywhere. */
export const MODEL_OPTION: OptSpec = { type: 'string', short: 'm', arg: 'M', help: 'model name (server default when omitted)' };
export const TOP_K_OPTION: OptSpec = { type: 'string', short: 'k', arg: 'N', help: 'predictions per image, 1..20 (server default 5)' };

export const GLOBAL_OPTIONS: Record<string, OptSpec> = {
  url: { type: 'string', arg: 'URL', help: `API base URL (env INFERQ_URL; default ${DEFAULT_URL})` },
  'api-key': { type: 'string', arg: 'KEY', help: 'API key, sent as "Authorization: Bearer KEY" (env INFERQ_API_KEY)' },
  json: { type: 'boolean', help: 'machine-readable JSON output' },
  help: { type: 'boolean', short: 'h', help: 'show help' },
  version: { type: 'boolean', help: 'print the version' },
};

/** A string option's value (undefined when absent). */
export const str = (v: OptionValues, name: string): string | undefined => {
  const x = v[name];
  return typeof x === 'string' ? x : undefined;
};

/** An integer option within [min, max]; `def` when absent; UsageError otherwise. */
export function intOption(values: OptionValues, name: string, opts: { min: number; max: number; def?: number }): number | undefined {
  const raw = str(values, name);
  if (raw === undefined) return opts.def;
  if (!/^-?\d+$/.test(raw.trim())) throw new UsageError(`--${name} must be a whole number, got ${JSON.stringify(raw)}`);
  const n = Number(raw);
  if (n < opts.min || n > opts.max) throw new UsageError(`--${name} must be between ${opts.min} and ${opts.max}, got ${n}`);
  return n;
}

/** `--metadata`: a JSON object. */
export function parseMetadataOption(raw: string | undefined): Record<string, unknown> | undefined {
  if (raw === undefined) return undefined;
  let v: unknown;
  try {
    v = JSON.parse(raw);
  } catch {
    throw new UsageError(`--metadata must be a JSON object, e.g. '{"user":"u1"}'; got ${JSON.stringify(raw)}`);
  }
  if (!v || typeof v !== 'object' || Array.isArray(v)) throw new UsageError('--metadata must be a JSON object');
  return v as Record<string, unknown>;
}

/** `--format`, defaulting from the output file's extension. */
export function resultsFormat(format: string | undefined, out: string | undefined): ResultsFormat {
  if (format === undefined) return out && /\.csv$/i.test(out) ? 'csv' : 'jsonl';
  const f = format.toLowerCase();
  if (f === 'jsonl' || f === 'csv') return f;
  throw new UsageError(`--format must be jsonl or csv, got ${JSON.stringify(format)}`);
}
