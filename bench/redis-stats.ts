import { spawnSync } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { freePort } from '../shared/free-port.js';
import { redisAnswers } from '../shared/redis-answers.js';
import { removeOnExit, spawnGroup, stopGroup, waitUntil } from './procs.js';

/** A redis-server of the bench's own, so INFO commandstats counts only the service under test. */
export interface BenchRedis {
  url: string;
  /** 0 when the bench uses a Redis it did not start (no CPU figures for Redis then). */
  pid: number;
  /** True when that Redis may carry other traffic, so its counts are only upper bounds. */
  shared: boolean;
  client: Redis;
  stop: () => Promise<void>;
}

/** Starts redis-server like `npm start` embeds it (AOF everysec, noeviction), loopback, a free port, a temp dir. */
export async function startRedis(): Promise<BenchRedis> {
  if (spawnSync('redis-server', ['--version']).error) {
    const given = process.env.REDIS_URL ?? process.env.TEST_REDIS_URL;
    if (!given) throw new Error('the bench starts its own redis-server, which is not installed (or set REDIS_URL to use a running one)');
    const client = new Redis(given, { maxRetriesPerRequest: 2 });
    return { url: given, pid: 0, shared: true, client, stop: async () => client.disconnect() };
  }
  const dir = removeOnExit(await fs.mkdtemp(path.join(os.tmpdir(), 'inferq-bench-redis-')));
  const port = await freePort();
  const proc = spawnGroup('redis-server', [
    '--port', String(port), '--bind', '127.0.0.1', '--protected-mode', 'yes', '--dir', dir, '--appendonly', 'yes',
    '--appendfsync', 'everysec', '--save', '', '--maxmemory-policy', 'noeviction', '--daemonize', 'no',
  ]);
  const url = `redis://127.0.0.1:${port}`;
  await waitUntil('redis-server', () => redisAnswers(url, 300), 10_000, 50);
  const client = new Redis(url, { maxRetriesPerRequest: 2 });
  return {
    url,
    pid: proc.pid,
    shared: false,
    client,
    stop: async () => {
      client.disconnect();
      await stopGroup(proc.pid, 5_000);
      await fs.rm(dir, { recursive: true, force: true });
    },
  };
}

export interface RedisSnapshot {
  /** Calls per command (commandstats; includes commands run inside Lua scripts). */
  calls: Record<string, number>;
  totalCommands: number;
  usedMemory: number;
  keys: number;
}

function parseInfo(text: string): Map<string, string> {
  const m = new Map<string, string>();
  for (const line of text.split('\r\n')) {
    const i = line.indexOf(':');
    if (i > 0 && !line.startsWith('#')) m.set(line.slice(0, i), line.slice(i + 1));
  }
  return m;
}

export async function redisSnapshot(r: Redis): Promise<RedisSnapshot> {
  const [cmd, stats, mem, ks] = await Promise.all([r.info('commandstats'), r.info('stats'), r.info('memory'), r.info('keyspace')]);
  const calls: Record<string, number> = {};
  for (const [k, v] of parseInfo(cmd)) {
    if (k.startsWith('cmdstat_')) calls[k.slice(8)] = Number(/calls=(\d+)/.exec(v)?.[1] ?? 0);
  }
  const keys = [...parseInfo(ks).values()].reduce((n, v) => n + Number(/keys=(\d+)/.exec(v)?.[1] ?? 0), 0);
  return {
    calls,
    totalCommands: Number(parseInfo(stats).get('total_commands_processed') ?? 0),
    usedMemory: Number(parseInfo(mem).get('used_memory') ?? 0),
    keys,
  };
}

export interface RedisDelta {
  /** Sum of commandstats calls, minus the INFO calls the bench itself made. */
  commands: number;
  totalCommandsProcessed: number;
  byCommand: Record<string, number>;
  usedMemoryBytes: number;
  keys: number;
}

/** The bench's own INFO calls between two snapshots (4 per snapshot) are not the service's. */
const OWN_INFO_CALLS = 4;

export function redisDelta(a: RedisSnapshot, b: RedisSnapshot): RedisDelta {
  const byCommand: Record<string, number> = {};
  for (const [k, v] of Object.entries(b.calls)) {
    const d = v - (a.calls[k] ?? 0) - (k === 'info' ? OWN_INFO_CALLS : 0);
    if (d > 0) byCommand[k] = d;
  }
  return {
    commands: Object.values(byCommand).reduce((s, v) => s + v, 0),
    totalCommandsProcessed: b.totalCommands - a.totalCommands - OWN_INFO_CALLS,
    byCommand,
    usedMemoryBytes: b.usedMemory - a.usedMemory,
    keys: b.keys - a.keys,
  };
}

/** Commands per job, largest first, rounded to 0.1. */
export function perJob(byCommand: Record<string, number>, jobs: number): Record<string, number> {
  return Object.fromEntries(
    Object.entries(byCommand)
      .map(([k, v]) => [k, Math.round((v / Math.max(1, jobs)) * 10) / 10] as const)
      .sort((x, y) => y[1] - x[1]),
  );
}
