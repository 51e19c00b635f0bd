/** Readable numbers, durations, sizes and tables for the CLI's output. */
import { once } from 'node:events';
import columnify from 'columnify';
import type { Prediction } from '../types.js';

export function formatMs(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || Number.isNaN(ms)) return '-';
  if (ms < 10) return `${ms.toFixed(1)} ms`;
  if (ms < 10_000) return `${Math.round(ms)} ms`;
  return `${(ms / 1000).toFixed(1)} s`;
}

export function formatDuration(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds)) return '-';
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

export const pct = (x: number, digits = 1) => `${(x * 100).toFixed(digits)} %`;

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1024 / 1024).toFixed(1)} MiB`;
}

/**
 * Left-aligned columns separated by two spaces, no trailing blanks (columnify lays them out). columnify trims
 * cells, so an indent common to the first column (the CLI's '  key' rows) is taken off and put back on each line.
 */
export function table(rows: readonly (readonly string[])[]): string {
  if (rows.length === 0) return '';
  const indent = Math.min(...rows.map((r) => /^ */.exec(r[0] ?? '')![0].length));
  const cells = rows.map((r) => ({ ...r.map((c, i) => (i === 0 ? c.slice(indent) : c)) }));
  const text = columnify(cells, { showHeaders: false, columnSplitter: '  ', preserveNewLines: false });
  return text
    .split('\n')
    .map((l) => (' '.repeat(indent) + l).trimEnd())
    .join('\n');
}

export function formatPredictions(preds: readonly Prediction[], indent = '    '): string[] {
  const width = Math.max(0, ...preds.map((p) => p.label.length));
  return preds.map((p) => `${indent}${p.label.padEnd(width)}  ${(p.confidence * 100).toFixed(2).padStart(6)}%  (class ${p.class_id})`);
}

/** Writes with backpressure: waits for 'drain' when the stream's buffer is full. */
export async function writeOut(stream: NodeJS.WritableStream, text: string): Promise<void> {
  if (!stream.write(text)) await once(stream, 'drain');
}
