import path from 'node:path';

/** Every count and bound of a bench run; `--quick` shrinks them for a CI smoke run of under a minute. */
export interface BenchOptions {
  quick: boolean;
  outDir: string;
  only: 'all' | 'ceiling' | 'system';
  /** Hard limit for the whole run; everything is killed after it. */
  deadlineMs: number;
  ceiling: { images: number; warmupImages: number; singles: number; rounds: number };
  system: {
    /** `split` (API + workers spawned here) runs after `standalone` unless quick. */
    layouts: ('standalone' | 'split')[];
    splitWorkers: number;
    warmupJobs: number;
    idleBaselineMs: number;
    idleJobs: number;
    idleGapMs: number;
    concurrencies: number[];
    closedJobs: number;
    closedMaxMs: number;
    pollConcurrency: number;
    /** Closed loops driven by wrk (when installed), each for `wrkSeconds`. */
    wrkConcurrencies: number[];
    wrkSeconds: number;
    openFractions: number[];
    openPollFraction: number | null;
    openMaxJobs: number;
    openSeconds: number;
    /** Jobs sent one at a time under Redis MONITOR (0: no trace). */
    traceJobs: number;
  };
}

export function parseArgs(argv: string[]): BenchOptions {
  const quick = argv.includes('--quick');
  const value = (flag: string) => {
    const i = argv.indexOf(flag);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const only = (value('--only') ?? 'all') as BenchOptions['only'];
  if (!['all', 'ceiling', 'system'].includes(only)) throw new Error(`--only must be all, ceiling or system, got ${only}`);
  const flags = ['--quick', '--out', '--only', '--layout'];
  const unknown = argv.filter((a) => a.startsWith('--') && !flags.includes(a));
  if (unknown.length) throw new Error(`unknown option ${unknown[0]}; use --quick, --out <dir>, --only ceiling|system, --layout standalone|split`);
  const outDir = path.resolve(value('--out') ?? 'bench/results');
  const layout = value('--layout');
  if (layout !== undefined && layout !== 'standalone' && layout !== 'split') throw new Error(`--layout must be standalone or split, got ${layout}`);
  const opts = quick ? quickOptions(outDir, only) : fullOptions(outDir, only);
  if (layout) opts.system.layouts = [layout];
  return opts;
}

function quickOptions(outDir: string, only: BenchOptions['only']): BenchOptions {
  return {
    quick: true, outDir, only, deadlineMs: 100_000,
    ceiling: { images: 32, warmupImages: 8, singles: 3, rounds: 1 },
    system: {
      layouts: ['standalone'], splitWorkers: 2, warmupJobs: 4, idleBaselineMs: 500, idleJobs: 3, idleGapMs: 20,
      concurrencies: [4], closedJobs: 24, closedMaxMs: 10_000, pollConcurrency: 4, wrkConcurrencies: [4], wrkSeconds: 2, openFractions: [0.5],
      openPollFraction: null, openMaxJobs: 12, openSeconds: 3, traceJobs: 0,
    },
  };
}

function fullOptions(outDir: string, only: BenchOptions['only']): BenchOptions {
  return {
    quick: false, outDir, only, deadlineMs: 15 * 60_000,
    ceiling: { images: 200, warmupImages: 16, singles: 20, rounds: 2 },
    system: {
      layouts: ['standalone', 'split'], splitWorkers: 2, warmupJobs: 16, idleBaselineMs: 3_000, idleJobs: 30, idleGapMs: 30,
      concurrencies: [1, 4, 16, 32], closedJobs: 250, closedMaxMs: 10_000, pollConcurrency: 16,
      wrkConcurrencies: [16, 32], wrkSeconds: 8,
      openFractions: [0.25, 0.5, 0.75, 0.9], openPollFraction: 0.5, openMaxJobs: 400, openSeconds: 6, traceJobs: 20,
    },
  };
}
