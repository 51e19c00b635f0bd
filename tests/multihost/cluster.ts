import fs from 'node:fs/promises';
import path from 'node:path';
import { NetLab } from '../helpers/network/netns.js';
import { SwiftServer } from '../helpers/servers/swift-server.js';
import { MIRROR } from '../helpers/processes/stack.js';
import { RedisServer } from '../helpers/redis/redis-server.js';
import { startOrStop } from '../helpers/processes/start-or-stop.js';
import { FaultStack, type ServiceProcess } from '../helpers/processes/processes.js';
import { RedisProbe, TerminalEvents } from '../helpers/jobs/jobs.js';

/** One network namespace per host; the order gives the addresses (.11, .12, …). */
export const HOSTS = ['redis', 'swift', 'api', 'worker1', 'worker2'] as const;
export type Host = (typeof HOSTS)[number];

/**
 * Two workers take four jobs at a time each, so both hold jobs of a 48-photo burst at once and a cut-off worker
 * strands at most four (each re-run alone, in a process of its own, as a job that stalled).
 */
const WORKER_ENV = { WORKER_CONCURRENCY: '4', BATCH_MAX_SIZE: '4', BATCH_MAX_DELAY_MS: '50' };

/**
 * inferq spread over hosts of its own (R27): Redis, Swift (S3), the API and two workers, each a process tree in
 * its own network namespace with its own address, and each with its own UPLOAD_DIR, DATA_DIR and model cache in
 * a folder of its own (STORAGE=s3: the images travel through the store, never through a shared folder). The
 * test talks to every host over the lab's bridge, from the root namespace, as a client on the same LAN would.
 */
export class Cluster {
  readonly workers: ServiceProcess[] = [];
  api!: ServiceProcess;
  probe!: RedisProbe;
  events!: TerminalEvents;
  redis!: RedisServer;
  swift!: SwiftServer;
  stack!: FaultStack;

  private constructor(readonly lab: NetLab) {}

  /** Builds the network and starts every host; on a failure half-way, stops what was started and throws. */
  static async start(): Promise<Cluster> {
    return startOrStop(new Cluster(await NetLab.create([...HOSTS])), (c) => c.boot());
  }

  private place(host: Host) {
    return { netns: this.lab.netns(host), address: this.lab.address(host) };
  }

  /** Settings of one host: its own folders under the stack's temp dir, shared by no other process. */
  async hostEnv(host: Host): Promise<Record<string, string>> {
    const dir = path.join(this.stack.tmp, 'hosts', host);
    await fs.mkdir(path.join(dir, 'uploads'), { recursive: true });
    return { UPLOAD_DIR: path.join(dir, 'uploads'), DATA_DIR: path.join(dir, 'data'), MODELS_DIR: path.join(dir, 'models') };
  }

  /** Every file left in the hosts' own upload folders (none once jobs have ended: S3 holds the images). */
  async localUploads(): Promise<string[]> {
    const root = path.join(this.stack.tmp, 'hosts');
    const entries = await fs.readdir(root, { recursive: true, withFileTypes: true });
    return entries.filter((e) => e.isFile() && e.parentPath.includes(`${path.sep}uploads`)).map((e) => path.join(e.parentPath, e.name));
  }

  private async boot(): Promise<void> {
    const [redis, swift] = await Promise.all([
      RedisServer.start({ bind: this.lab.address('redis'), netns: this.lab.netns('redis') }),
      SwiftServer.start({ bindIp: this.lab.address('swift'), netns: this.lab.netns('swift') }),
    ]);
    this.redis = redis;
    this.swift = swift;
    this.stack = await FaultStack.create(redis.url, {
      ...swift.env, S3_PREFIX: 'r27/', MODELS: 'mobilenetv2', DEFAULT_MODEL: 'mobilenetv2', MODEL_MIRROR: MIRROR,
    });
    this.probe = new RedisProbe(redis.url, this.stack.prefix);
    this.events = await TerminalEvents.listen(redis.url, this.stack.prefix);
    // Workers boot together (model copy and load), then the API, which is ready once it sees them.
    const hosts = ['worker1', 'worker2'] as const;
    const envs = await Promise.all(hosts.map((h) => this.hostEnv(h)));
    const workers = await Promise.all(hosts.map((h, i) => this.stack.startWorker({ ...WORKER_ENV, ...envs[i] }, 60_000, this.place(h))));
    this.workers.push(...workers);
    this.api = await this.stack.startApi(await this.hostEnv('api'), 30_000, this.place('api'));
  }

  /** Captured output of every host, for a failed test's report. */
  logs(): string {
    return [`--- processes ---`, this.stack?.log.tail(12_000) ?? '', `--- redis ---`, this.redis?.log.tail(2_000) ?? '', `--- swift ---`, this.swift?.log.tail(3_000) ?? ''].join('\n');
  }

  /** Stops every process and removes every folder, namespace and link; safe after a partial start. */
  async stop(): Promise<void> {
    this.events?.close();
    this.probe?.close();
    await this.stack?.stop();
    await this.swift?.close();
    await this.redis?.stop();
    await this.lab.destroy();
  }
}
