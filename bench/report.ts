import fs from 'node:fs/promises';
import path from 'node:path';
import type { CeilingRun } from './ceiling.js';
import type { Machine } from './machine.js';
import type { LayoutResult } from './system.js';
import type { Target } from './targets.js';
import { toMarkdown } from './report-md.js';

export interface CeilingResult {
  runs: CeilingRun[];
  best: CeilingRun;
  /** Median idle decode + batch-1 inference of one image with the worker's default settings, ms. */
  bareSingleMs: number;
  bareSingleFrom: string;
}

export interface Ratio {
  /** System capacity (jobs/s) ÷ ceiling (img/s): what issue 12's 0.85 target is about. */
  throughput: number;
  /**
   * Ceiling CPU ms per image ÷ service CPU ms per job at capacity: the share of the service's CPU that does the
   * bare pipeline's work. Unlike the throughput ratio it barely moves when other users load the machine.
   */
  cpu: number;
  /** The two CPU figures of `cpu`, and the run they come from. */
  serviceCpuMsPerJob: number;
  ceilingCpuMsPerImage: number;
  from: string;
}

export interface BenchReport {
  startedAt: string;
  durationS: number;
  quick: boolean;
  machine: Machine;
  model: { name: string; version: string; file: string };
  photos: { dir: string; count: number };
  ceiling: CeilingResult | null;
  system: LayoutResult[];
  /** Per layout: capacity ÷ ceiling throughput, and ceiling CPU per image ÷ the system's CPU per job at capacity. */
  ratios: Record<string, Ratio>;
  targets: Target[];
  notes: string[];
}

/** Writes `<outDir>/<timestamp>.json` and `.md`; returns both paths. */
export async function writeReport(report: BenchReport, outDir: string): Promise<{ json: string; md: string }> {
  await fs.mkdir(outDir, { recursive: true });
  const stamp = report.startedAt.replace(/[:.]/g, '-');
  const json = path.join(outDir, `${stamp}.json`);
  const md = path.join(outDir, `${stamp}.md`);
  await fs.writeFile(json, JSON.stringify(report, (_k, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? null : v), 2) + '\n');
  await fs.writeFile(md, toMarkdown(report));
  return { json, md };
}
