import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { freePort } from '../../../shared/free-port.js';
import { redisAnswers } from '../../../shared/redis-answers.js';
import { OutputLog, signalGroup, trackDir, trackGroup, until, untrackDir, waitExit } from '../processes/cleanup.js';
import { startOrStop } from '../processes/start-or-stop.js';
import { redisCli } from './redis-cli.js';
import { RedisServer } from './redis-server.js';

/**
 * A primary, one replica and three sentinels (quorum 2), each a real child on a free loopback port. The
 * sentinels take the primary for down after 1 s, so a kill -9 is followed by a promotion within a few seconds.
 */
export class SentinelTopology {
  readonly name = 'inferq';
  readonly log = new OutputLog(64 * 1024);
  private readonly sentinels: { port: number; child: ChildProcess }[] = [];

  private constructor(
    readonly primary: RedisServer,
    readonly replica: RedisServer,
    private readonly dir: string,
  ) {}

  static async start(): Promise<SentinelTopology> {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'inferq-sentinel-'));
    trackDir(dir);
    // everysec, as production primaries usually run: the loss measured is replication's, not the disk's.
    const primary = await RedisServer.start({ appendfsync: 'everysec' });
    const replica = await RedisServer.start({ appendfsync: 'everysec', extraArgs: ['--replicaof', '127.0.0.1', String(primary.port)] });
    return startOrStop(new SentinelTopology(primary, replica, dir), (t) => t.boot());
  }

  private async boot(): Promise<void> {
    await until('the replica to sync', async () => (await this.replica.info('replication')).master_link_status === 'up', 15_000);
    for (let i = 0; i < 3; i++) await this.startSentinel(i);
    // A failover needs quorum among sentinels that know each other and the replica (hello messages every 2 s).
    await until('sentinels to see each other and the replica', async () => {
      const views = await Promise.all(this.sentinels.map((s) => this.masterView(s.port)));
      return views.every((v) => v['num-other-sentinels'] === '2' && v['num-slaves'] === '1');
    }, 30_000, 250);
  }

  private async startSentinel(i: number): Promise<void> {
    const port = await freePort();
    const conf = path.join(this.dir, `sentinel-${i}.conf`);
    await fs.writeFile(conf, [
      `port ${port}`, 'bind 127.0.0.1', `dir ${this.dir}`,
      `sentinel monitor ${this.name} 127.0.0.1 ${this.primary.port} 2`,
      `sentinel down-after-milliseconds ${this.name} 1000`,
      `sentinel failover-timeout ${this.name} 10000`,
      `sentinel parallel-syncs ${this.name} 1`, '',
    ].join('\n'));
    const child = spawn('redis-server', [conf, '--sentinel'], { detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    trackGroup(child);
    this.log.attach(child, `sentinel-${i}`);
    this.sentinels.push({ port, child });
    await until(`sentinel ${i} to answer`, () => redisAnswers(`redis://127.0.0.1:${port}`, 300), 10_000, 50);
  }

  /** `SENTINEL MASTER <name>` of one sentinel, as a field map. */
  async masterView(port: number): Promise<Record<string, string>> {
    const lines = (await redisCli(port, 'SENTINEL', 'MASTER', this.name)).split('\n');
    const out: Record<string, string> = {};
    for (let i = 0; i + 1 < lines.length; i += 2) out[lines[i]!] = lines[i + 1]!;
    return out;
  }

  /** The port the sentinels currently name as primary (the first sentinel that answers). */
  async primaryPort(): Promise<number> {
    const [, port] = (await redisCli(this.sentinels[0]!.port, 'SENTINEL', 'GET-MASTER-ADDR-BY-NAME', this.name)).split('\n');
    return Number(port);
  }

  /** The REDIS_* settings of an API or worker on this topology. */
  get env(): Record<string, string> {
    return { REDIS_SENTINELS: this.sentinels.map((s) => `127.0.0.1:${s.port}`).join(','), REDIS_SENTINEL_NAME: this.name };
  }

  async stop(): Promise<void> {
    for (const s of this.sentinels) signalGroup(s.child, 'SIGKILL');
    await Promise.all(this.sentinels.map((s) => waitExit(s.child, 5_000)));
    await Promise.all([this.primary.stop(), this.replica.stop()]);
    await fs.rm(this.dir, { recursive: true, force: true });
    untrackDir(this.dir);
  }
}

/** Three cluster-enabled masters (no replicas) joined by `redis-cli --cluster create`, covering all 16384 slots. */
export class ClusterTopology {
  private constructor(readonly nodes: RedisServer[]) {}

  static async start(size = 3): Promise<ClusterTopology> {
    return startOrStop(new ClusterTopology([]), (t) => t.boot(size));
  }

  private async boot(size: number): Promise<void> {
    const nodes = this.nodes;
    for (let i = 0; i < size; i++) {
      // The bus port defaults to port + 10000, which a free port above 55535 cannot have: pick one too.
      const bus = await freePort();
      nodes.push(await RedisServer.start({ extraArgs: ['--cluster-enabled', 'yes', '--cluster-port', String(bus), '--cluster-node-timeout', '2000'] }));
    }
    await redisCli(nodes[0]!.port, '--cluster', 'create', ...nodes.map((n) => `127.0.0.1:${n.port}`), '--cluster-replicas', '0', '--cluster-yes');
    await until('every node to report cluster_state:ok', async () => {
      const states = await Promise.all(nodes.map((n) => redisCli(n.port, 'CLUSTER', 'INFO')));
      return states.every((s) => /cluster_state:ok/.test(s));
    }, 20_000, 200);
  }

  get seeds(): string {
    return this.nodes.map((n) => `127.0.0.1:${n.port}`).join(',');
  }

  /** Keys stored on each node (DBSIZE), in node order. */
  async keysPerNode(): Promise<number[]> {
    return Promise.all(this.nodes.map(async (n) => Number(await redisCli(n.port, 'DBSIZE'))));
  }

  async stop(): Promise<void> {
    await Promise.all(this.nodes.map((n) => n.stop()));
  }
}
