import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { freePort } from '../../../shared/free-port.js';
import { redisAnswers } from '../../../shared/redis-answers.js';
import { inNetns } from '../network/netns.js';
import { startOrStop } from '../processes/start-or-stop.js';
import { redisCliOn } from './redis-cli.js';
import { OutputLog, killGroup, signalGroup, trackDir, trackGroup, untrackDir, waitExit } from '../processes/cleanup.js';

export interface RedisServerOptions {
  /** `always` (default) keeps every acknowledged write across a kill -9; `everysec` may lose up to ~1 s. */
  appendfsync?: 'always' | 'everysec' | 'no';
  extraArgs?: string[];
  /** The address to listen on (default 127.0.0.1); with `netns`, one of that namespace's addresses. */
  bind?: string;
  /** Runs the server inside this network namespace (`ip netns exec`), as a host of its own (R27). */
  netns?: string;
}

/**
 * A `redis-server` child on a free loopback port with AOF on, its data in a temp dir, for fault tests: kill -9,
 * SHUTDOWN NOSAVE, restart on the same dir and port (AOF replay), CLIENT PAUSE. `stop()` kills it and removes
 * the dir; the cleanup module kills it at process exit if a test never got that far.
 */
export class RedisServer {
  readonly log = new OutputLog(64 * 1024);
  private child: ChildProcess | null = null;
  private admin: Redis | null = null;

  private constructor(
    readonly port: number,
    readonly dir: string,
    private readonly opts: RedisServerOptions,
  ) {}

  static async start(opts: RedisServerOptions = {}): Promise<RedisServer> {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'inferq-fault-redis-'));
    trackDir(dir);
    return startOrStop(new RedisServer(await freePort(), dir, opts), (server) => server.restart());
  }

  get host(): string {
    return this.opts.bind ?? '127.0.0.1';
  }

  get url(): string {
    return `redis://${this.host}:${this.port}`;
  }

  get running(): boolean {
    return !!this.child && this.child.exitCode === null && this.child.signalCode === null;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** (Re)starts redis-server on the same port and dir, so it replays the AOF written before; waits for PING. */
  async restart(timeoutMs = 10_000): Promise<void> {
    if (this.running) throw new Error('redis-server is already running');
    const args = [
      '--port', String(this.port), '--bind', this.host, '--dir', this.dir,
      '--appendonly', 'yes', '--appendfsync', this.opts.appendfsync ?? 'always', '--save', '',
      '--maxmemory-policy', 'noeviction', '--daemonize', 'no', '--loglevel', 'warning',
      // Clients of another host are refused in protected mode; the namespaces' /24 reaches nothing else.
      ...(this.opts.netns ? ['--protected-mode', 'no'] : []),
      ...(this.opts.extraArgs ?? []),
    ];
    const [command, argv] = inNetns(this.opts.netns, 'redis-server', args);
    const child = spawn(command, argv, { detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    trackGroup(child);
    this.log.attach(child, 'redis');
    this.child = child;
    const deadline = Date.now() + timeoutMs;
    while (!(await redisAnswers(this.url, 300))) {
      if (!this.running || Date.now() > deadline) {
        await killGroup(child);
        throw new Error(`redis-server did not start on ${this.port}:\n${this.log.tail(2_000)}`);
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** kill -9: no shutdown, no AOF rewrite; what was fsynced is what survives. */
  async kill9(): Promise<void> {
    this.dropAdmin();
    if (this.child) await killGroup(this.child);
  }

  /** `SHUTDOWN NOSAVE`: a clean stop without an RDB snapshot (the AOF stays as written). */
  async shutdownNoSave(): Promise<void> {
    const child = this.child;
    if (!child || !this.running) return;
    const r = this.connect();
    await r.call('SHUTDOWN', 'NOSAVE').catch(() => undefined); // the connection closing is the normal answer
    this.dropAdmin();
    if (!(await waitExit(child, 5_000))) await killGroup(child);
  }

  /** `CLIENT PAUSE ms [ALL|WRITE]`: Redis holds every client's commands (or writes) for `ms`. */
  async pause(ms: number, mode: 'ALL' | 'WRITE' = 'ALL'): Promise<void> {
    await this.connect().call('CLIENT', 'PAUSE', String(ms), mode);
  }

  /** A test-side connection (no offline queue surprises: commands fail fast while Redis is down). */
  connect(): Redis {
    if (!this.admin) {
      this.admin = new Redis(this.url, { maxRetriesPerRequest: 1, connectTimeout: 1_000, retryStrategy: (n) => Math.min(n * 100, 1_000) });
      this.admin.on('error', () => undefined);
    }
    return this.admin;
  }

  /** Runs a `redis-cli` command against this server (the way an operator would look at it). */
  cli(...args: string[]): Promise<string> {
    return redisCliOn(this.host, this.port, ...args);
  }

  async info(section: string): Promise<Record<string, string>> {
    const text = (await this.connect().info(section)) as string;
    return Object.fromEntries(
      text.split(/\r?\n/).filter((l) => l.includes(':') && !l.startsWith('#')).map((l) => [l.slice(0, l.indexOf(':')), l.slice(l.indexOf(':') + 1)]),
    );
  }

  private dropAdmin(): void {
    this.admin?.disconnect();
    this.admin = null;
  }

  /** Kills the server and removes its dir; safe to call twice. */
  async stop(): Promise<void> {
    this.dropAdmin();
    if (this.child) {
      signalGroup(this.child, 'SIGKILL');
      await waitExit(this.child, 5_000);
    }
    this.child = null;
    await fs.rm(this.dir, { recursive: true, force: true });
    untrackDir(this.dir);
  }
}
