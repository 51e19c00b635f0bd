import { execFile, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { CreateBucketCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { freePort } from '../../../shared/free-port.js';
import { inNetns } from '../network/netns.js';
import { OutputLog, killGroup, signalGroup, trackDir, trackGroup, untrackDir, until } from '../processes/cleanup.js';

const run = promisify(execFile);
const SERVERS = ['account', 'container', 'object', 'proxy'] as const;
type Server = (typeof SERVERS)[number] | 'memcached';

/** tempauth's test user: S3 access key `account:user`, secret = its password. */
const ACCESS_KEY = 'test:tester';
const SECRET_KEY = 'testing';
const REGION = 'us-east-1';

export interface SwiftOptions {
  /** The address every server listens on and the ring names (default 127.0.0.1); with `netns`, one of its own. */
  bindIp?: string;
  /** Runs the cluster inside this network namespace (`ip netns exec`), as a host of its own (R27). */
  netns?: string;
}

/**
 * A real OpenStack Swift (Debian's packages) with the s3api middleware, for the S3 tests: proxy, account,
 * container and object servers on free loopback ports (or on a network namespace's address), a one-device,
 * one-replica ring and the data in a temp folder, tempauth with one test user. `stop()`/`start()` take the whole cluster down and back (R28) on the same
 * ports and data; `close()` kills every process and removes the folder (the cleanup module does it at exit too).
 */
export class SwiftServer {
  readonly log = new OutputLog(128 * 1024);
  readonly bucket = 'inferq-test';
  private children = new Map<Server, ChildProcess>();
  private client: S3Client | null = null;

  private constructor(
    readonly dir: string,
    private readonly ports: Record<Server, number>,
    private readonly opts: SwiftOptions = {},
  ) {}

  static async start(opts: SwiftOptions = {}): Promise<SwiftServer> {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'inferq-swift-'));
    trackDir(dir);
    const ports = { account: 0, container: 0, object: 0, proxy: 0, memcached: 0 };
    for (const k of Object.keys(ports) as (keyof typeof ports)[]) ports[k] = await freePort();
    const swift = new SwiftServer(dir, ports, opts);
    try {
      await swift.writeConfig();
      await swift.start();
      await until('the bucket to be created', () => swift.s3().send(new CreateBucketCommand({ Bucket: swift.bucket })).then(() => true), 30_000, 200);
    } catch (err) {
      await swift.close();
      throw new Error(`swift did not start: ${(err as Error).message}\n${swift.log.tail(4_000)}`);
    }
    return swift;
  }

  private get ip(): string {
    return this.opts.bindIp ?? '127.0.0.1';
  }

  get endpoint(): string {
    return `http://${this.ip}:${this.ports.proxy}`;
  }

  /**
   * inferq's configuration for this store. The credentials are the SDK's own environment variables (its default
   * chain reads them); in-process stacks get them from `useCredentials()`.
   */
  get env(): Record<string, string> {
    return {
      STORAGE: 's3', S3_ENDPOINT: this.endpoint, S3_BUCKET: this.bucket, S3_REGION: REGION, S3_FORCE_PATH_STYLE: 'true',
      AWS_ACCESS_KEY_ID: ACCESS_KEY, AWS_SECRET_ACCESS_KEY: SECRET_KEY,
    };
  }

  /** Puts the test user's keys where the SDK's default chain looks, for stacks that run in this process. */
  useCredentials(): void {
    process.env.AWS_ACCESS_KEY_ID = ACCESS_KEY;
    process.env.AWS_SECRET_ACCESS_KEY = SECRET_KEY;
  }

  /** A client of the test's own, to look at the bucket from outside inferq. */
  s3(): S3Client {
    this.client ??= new S3Client({
      endpoint: this.endpoint, region: REGION, forcePathStyle: true, maxAttempts: 1,
      credentials: { accessKeyId: ACCESS_KEY, secretAccessKey: SECRET_KEY },
    });
    return this.client;
  }

  /** Every object key in the bucket (under `prefix`). */
  async keys(prefix = ''): Promise<string[]> {
    const keys: string[] = [];
    let token: string | undefined;
    do {
      const page = await this.s3().send(new ListObjectsV2Command({ Bucket: this.bucket, Prefix: prefix, ContinuationToken: token }));
      keys.push(...(page.Contents ?? []).map((o) => o.Key!));
      token = page.NextContinuationToken;
    } while (token);
    return keys;
  }

  get running(): boolean {
    return this.children.size > 0;
  }

  /**
   * Starts memcached and the four servers (again, after `stop()`) and waits until each answers its healthcheck.
   * memcached is there because a real proxy has one: without it every request also asks the account and
   * container servers about its bucket, which doubles the latency measured here.
   */
  async start(timeoutMs = 30_000): Promise<void> {
    if (this.running) throw new Error('swift is already running');
    const user = os.userInfo().username;
    this.spawn('memcached', 'memcached', ['-l', '127.0.0.1', '-p', String(this.ports.memcached), '-U', '0', '-m', '16', '-u', user]);
    for (const name of SERVERS) this.spawn(name, `swift-${name}-server`, [path.join(this.dir, `${name}.conf`), '--verbose']);
    for (const name of SERVERS) {
      const child = this.children.get(name)!;
      await until(`swift-${name}-server to answer`, async () => {
        if (child.exitCode !== null) throw new Error(`swift-${name}-server exited ${child.exitCode}`);
        const res = await fetch(`http://${this.ip}:${this.ports[name]}/healthcheck`).catch(() => null);
        return res?.status === 200;
      }, timeoutMs, 100);
    }
  }

  private spawn(name: Server, command: string, args: string[]): void {
    const [cmd, argv] = inNetns(this.opts.netns, command, args);
    const child = spawn(cmd, argv, { detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    trackGroup(child);
    this.log.attach(child, name);
    child.once('exit', (code, signal) => this.log.append(`exited (${code ?? signal})\n`, name));
    this.children.set(name, child);
  }

  /** Kills every server (kill -9: the store vanishes mid-request, as a crashed or cut-off store does). */
  async stop(): Promise<void> {
    await Promise.all([...this.children.values()].map((c) => killGroup(c)));
    this.children.clear();
  }

  /**
   * SIGSTOP on the proxy: connections are still accepted (by the kernel) but nothing answers, the way a hung
   * store looks to a client. `resume()` lets it go on.
   */
  freeze(): void {
    const proxy = this.children.get('proxy');
    if (!proxy || !signalGroup(proxy, 'SIGSTOP')) throw new Error('swift is not running');
  }

  resume(): void {
    const proxy = this.children.get('proxy');
    if (proxy) signalGroup(proxy, 'SIGCONT');
  }

  /** Stops the servers and removes the folder; safe to call twice. */
  async close(): Promise<void> {
    this.client?.destroy();
    this.client = null;
    await this.stop();
    await fs.rm(this.dir, { recursive: true, force: true });
    untrackDir(this.dir);
  }

  private async writeConfig(): Promise<void> {
    const { dir, ports } = this;
    await fs.mkdir(path.join(dir, 'node', 'd1'), { recursive: true });
    const common = (port: number) =>
      `[DEFAULT]\nbind_ip = ${this.ip}\nbind_port = ${port}\nworkers = 0\nswift_dir = ${dir}\ndevices = ${dir}/node\n` +
      `mount_check = false\ndisable_fallocate = true\nuser = ${os.userInfo().username}\nlog_level = INFO\n`;
    const rings = (['account', 'container', 'object'] as const).map(async (name) => {
      await fs.writeFile(
        path.join(dir, `${name}.conf`),
        `${common(ports[name])}\n[pipeline:main]\npipeline = healthcheck ${name}-server\n\n` +
          `[app:${name}-server]\nuse = egg:swift#${name}\n\n[filter:healthcheck]\nuse = egg:swift#healthcheck\n`,
      );
      // One partition power-of-6 ring, one replica, one device: all that a single test store needs.
      const builder = path.join(dir, `${name}.builder`);
      await run('swift-ring-builder', [builder, 'create', '6', '1', '1']);
      await run('swift-ring-builder', [builder, 'add', `r1z1-${this.ip}:${ports[name]}/d1`, '100']);
      // Exit 1 means "finished with warnings" (a one-device ring is never "balanced" across zones).
      await run('swift-ring-builder', [builder, 'rebalance']).catch((err: { code?: number }) => {
        if (err.code !== 1) throw err;
      });
    });
    await Promise.all(rings);
    // s3api before tempauth: it hands tempauth the signature to check.
    await fs.writeFile(
      path.join(dir, 'proxy.conf'),
      `${common(ports.proxy)}\n[pipeline:main]\n` +
        'pipeline = catch_errors gatekeeper healthcheck proxy-logging cache listing_formats s3api tempauth copy slo dlo proxy-logging proxy-server\n\n' +
        '[app:proxy-server]\nuse = egg:swift#proxy\naccount_autocreate = true\n\n' +
        `[filter:tempauth]\nuse = egg:swift#tempauth\nuser_test_tester = ${SECRET_KEY} .admin\n\n` +
        `[filter:s3api]\nuse = egg:swift#s3api\nlocation = ${REGION}\n\n` +
        `[filter:cache]\nuse = egg:swift#memcache\nmemcache_servers = 127.0.0.1:${ports.memcached}\n\n` +
        ['catch_errors', 'gatekeeper', 'healthcheck', 'proxy-logging', 'listing_formats', 'copy', 'slo', 'dlo']
          .map((f) => `[filter:${f}]\nuse = egg:swift#${f.replace('-', '_')}\n`)
          .join('\n'),
    );
  }
}
