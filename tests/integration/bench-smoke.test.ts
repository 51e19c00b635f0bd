import { afterAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

// `npm run bench -- --quick` end to end: it starts its own redis-server and the service, and must write a report
// with every section filled. Speed is not asserted here (CI machines vary); only that the figures exist.
const outDir = await fs.mkdtemp(path.join(os.tmpdir(), 'inferq-bench-smoke-'));
afterAll(async () => {
  await fs.rm(outDir, { recursive: true, force: true });
});

function runBench(timeoutMs: number): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    // Its own process group, so a timeout kills npm, the bench and everything the bench started.
    const child = spawn('npm', ['run', 'bench', '--', '--quick', '--out', outDir], { detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const keep = (c: Buffer) => (output = (output + c.toString()).slice(-20_000));
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    const timer = setTimeout(() => {
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        // already gone
      }
    }, timeoutMs);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

const positive = (x: unknown) => typeof x === 'number' && x > 0;

describe('npm run bench -- --quick', () => {
  it('writes a JSON and a markdown report with every section measured', async () => {
    const { code, output } = await runBench(120_000);
    expect(code, output).toBe(0);
    const files = await fs.readdir(outDir);
    const json = files.find((f) => f.endsWith('.json'));
    const md = files.find((f) => f.endsWith('.md'));
    expect(json, files.join(', ')).toBeDefined();
    expect(md, files.join(', ')).toBeDefined();

    const r = JSON.parse(await fs.readFile(path.join(outDir, json!), 'utf8')) as any;
    expect(r.quick).toBe(true);
    expect(r.machine.cores).toBeGreaterThan(0);
    expect(r.machine.cpuModel).toBeTruthy();
    expect(r.machine.onnxruntimeNode).toMatch(/^\d+\.\d+/);
    expect(r.machine.sharp).toMatch(/^\d+\.\d+/);

    expect(positive(r.ceiling.best.imagesPerSecond)).toBe(true);
    expect(positive(r.ceiling.bareSingleMs)).toBe(true);
    expect(r.ceiling.best.top1).toBeGreaterThan(0.5);

    const s = r.system[0];
    expect(s.layout).toBe('standalone');
    expect(positive(s.startup.apiReadyMs) && positive(s.startup.workerReadyMs[0])).toBe(true);
    expect(positive(s.idle.wait.latency.p50) && positive(s.idle.poll.latency.p50)).toBe(true);
    const closed = s.closed[0];
    expect(closed.failed).toBe(0);
    expect(positive(closed.throughput)).toBe(true);
    for (const k of ['p50', 'p95', 'p99']) expect(positive(closed.latency[k])).toBe(true);
    expect(positive(closed.timings.preprocess.p50) && positive(closed.timings.inference.p50)).toBe(true);
    expect(positive(closed.batches.meanBatchSize)).toBe(true);
    expect(Object.values(closed.batches.flushes).some(positive)).toBe(true);
    expect(positive(closed.redis.commandsPerJob)).toBe(true);
    expect(positive(s.redisMemory.perJobBytes)).toBe(true);
    // npm start runs one worker per core: labels are `worker` (one) or `worker-1`, `worker-2`, …
    const workers = Object.entries(closed.processes).filter(([k]) => k.startsWith('worker')).map(([, v]) => v as any);
    expect(workers.length).toBeGreaterThanOrEqual(1);
    expect(positive(closed.processes.api.peakRssMb) && workers.every((w) => positive(w.peakRssMb))).toBe(true);
    expect(workers.some((w) => positive(w.cpuMsPerJob))).toBe(true);
    expect(positive(s.closedPoll.latency.p50) && positive(s.open[0].latency.p50)).toBe(true);
    // wrk is one of the test tools (ensure-test-tools.sh): its run counts answers and its own CPU.
    const wrk = s.wrk[0];
    expect(wrk.client.tool).toBe('wrk');
    expect(wrk.failed).toBe(0);
    expect(positive(wrk.ok) && positive(wrk.throughput) && positive(wrk.latency.p50)).toBe(true);
    expect(positive(wrk.client.cpuMsPerJob) && positive(wrk.serviceCpuMsPerJob)).toBe(true);
    expect(positive(r.ratios.standalone.throughput) && positive(r.ratios.standalone.cpu)).toBe(true);
    expect(r.targets.length).toBeGreaterThanOrEqual(8);

    const text = await fs.readFile(path.join(outDir, md!), 'utf8');
    for (const heading of ['## Targets', '## Ceiling', '## System: standalone', '### Load', '### Redis']) expect(text).toContain(heading);
    expect(text).toMatch(/Ceiling \*\*[\d.]+ img\/s\*\*/);
  }, 150_000);
});
