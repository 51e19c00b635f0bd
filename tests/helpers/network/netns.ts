import { execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

/**
 * A private network of hosts on this machine, for the multi-host tests (R27): one network namespace per host,
 * each with an `eth0` veth whose other end is a port of a bridge that lives in a namespace of its own, plus one
 * veth from the test's (root) namespace into that bridge so the test reaches the hosts. Every address is in one
 * private /24 that nothing else on this machine uses; no namespace has a route beyond it, so no packet can
 * leave for the machine's real networks. Everything made is named after this process's pid: `destroy()`, the
 * exit and signal hooks below, and the sweep of dead pids' leftovers at the next `create()` remove it.
 */
export class NetLab {
  private constructor(
    readonly id: string,
    /** The first three octets, e.g. `10.231.7`. */
    readonly subnet: string,
    private readonly hosts: Map<string, { ns: string; address: string }>,
  ) {}

  /** Makes the bridge, one namespace per host name (addresses .11, .12, … in order) and the test's link (.1). */
  static async create(hostNames: string[]): Promise<NetLab> {
    await requireNetns();
    sweepLeftovers();
    const id = `iqmh-${process.pid}`;
    const subnet = await freeSubnet();
    const lab = new NetLab(id, subnet, new Map(hostNames.map((h, i) => [h, { ns: `${id}-${h}`, address: `${subnet}.${11 + i}` }])));
    live.add(lab);
    try {
      await lab.build();
    } catch (err) {
      lab.destroySync();
      throw new Error(`could not build the test network: ${(err as Error).message}`);
    }
    return lab;
  }

  private get bridgeNs(): string {
    return `${this.id}-net`;
  }

  /** The test's own veth in the root namespace (interface names are at most 15 characters). */
  private get rootLink(): string {
    return this.id.replace('-', '');
  }

  private host(name: string): { ns: string; address: string } {
    const h = this.hosts.get(name);
    if (!h) throw new Error(`no host ${name} in this network`);
    return h;
  }

  address(name: string): string {
    return this.host(name).address;
  }

  netns(name: string): string {
    return this.host(name).ns;
  }

  private async build(): Promise<void> {
    const br = this.bridgeNs;
    await ip('netns', 'add', br);
    await ip('-n', br, 'link', 'add', 'br0', 'type', 'bridge');
    await ip('-n', br, 'link', 'set', 'br0', 'up');
    for (const [name, h] of this.hosts) {
      await ip('netns', 'add', h.ns);
      await ip('-n', h.ns, 'link', 'set', 'lo', 'up');
      await ip('-n', h.ns, 'link', 'add', 'eth0', 'type', 'veth', 'peer', 'name', name, 'netns', br);
      await ip('-n', h.ns, 'addr', 'add', `${h.address}/24`, 'dev', 'eth0');
      await ip('-n', h.ns, 'link', 'set', 'eth0', 'up');
      await ip('-n', br, 'link', 'set', 'dev', name, 'master', 'br0', 'up');
    }
    // The test's end: only the /24's own (connected) route appears in the root namespace, nothing else.
    await ip('link', 'add', this.rootLink, 'type', 'veth', 'peer', 'name', 'test', 'netns', br);
    await ip('addr', 'add', `${this.subnet}.1/24`, 'dev', this.rootLink);
    await ip('link', 'set', 'dev', this.rootLink, 'up');
    await ip('-n', br, 'link', 'set', 'dev', 'test', 'master', 'br0', 'up');
  }

  /** Cuts a host off the network (`ip link set eth0 down` inside it): its packets go nowhere until `restore`. */
  async cut(name: string): Promise<void> {
    await ip('-n', this.netns(name), 'link', 'set', 'eth0', 'down');
  }

  /** Brings the host's link back up; its /24 route returns with it. */
  async restore(name: string): Promise<void> {
    await ip('-n', this.netns(name), 'link', 'set', 'eth0', 'up');
  }

  /** Deletes every namespace and link this lab made (their veths go with them); safe to call twice. */
  destroySync(): void {
    live.delete(this);
    for (const ns of [...[...this.hosts.values()].map((h) => h.ns), this.bridgeNs]) removeNetns(ns);
    quiet('link', 'del', this.rootLink);
  }

  async destroy(): Promise<void> {
    this.destroySync();
  }
}

/** Wraps a command so it runs inside `netns` (`ip netns exec` execs it: same pid, so process-group kills work). */
export function inNetns(netns: string | undefined, command: string, args: string[]): [string, string[]] {
  return netns ? ['ip', ['netns', 'exec', netns, command, ...args]] : [command, args];
}

async function ip(...args: string[]): Promise<void> {
  try {
    await run('ip', args);
  } catch (err) {
    throw new Error(`ip ${args.join(' ')}: ${((err as { stderr?: string }).stderr ?? (err as Error).message).trim()}`);
  }
}

/**
 * Kills what still runs inside one of this suite's namespaces (its helpers normally have: this catches a test
 * process that was SIGKILLed before its hooks ran), then deletes the namespace.
 */
function removeNetns(ns: string): void {
  let pids: string[] = [];
  try {
    pids = execFileSync('ip', ['netns', 'pids', ns], { encoding: 'utf8' }).split('\n').filter(Boolean);
  } catch {
    // no such namespace
  }
  for (const pid of pids) {
    try {
      process.kill(Number(pid), 'SIGKILL');
    } catch {
      // gone meanwhile
    }
  }
  quiet('netns', 'del', ns);
}

function quiet(...args: string[]): void {
  try {
    execFileSync('ip', args, { stdio: 'ignore' });
  } catch {
    // already gone
  }
}

/** Fails, saying what is missing, where namespaces cannot be made: the suite must not pass by doing nothing. */
async function requireNetns(): Promise<void> {
  if (process.platform !== 'linux') throw new Error('the multi-host tests need Linux network namespaces (this is ' + process.platform + ')');
  if (process.getuid?.() !== 0) throw new Error('the multi-host tests make network namespaces and must run as root (uid ' + process.getuid?.() + ')');
  try {
    await run('ip', ['netns', 'list']);
  } catch (err) {
    throw new Error(`the multi-host tests need iproute2's \`ip\` with netns support (apt-get install iproute2): ${(err as Error).message}`);
  }
}

/**
 * 10.231.N.0/24 for the first N from 7 that overlaps no address or route of the root namespace (a /0 default
 * route aside): the test's connected route must never shadow a network this machine really reaches.
 */
async function freeSubnet(): Promise<string> {
  const { stdout: addrs } = await run('ip', ['-4', '-o', 'addr', 'show']);
  const { stdout: routes } = await run('ip', ['-4', 'route', 'show', 'table', 'all']);
  const taken = [...(addrs + routes).matchAll(/\b(\d+\.\d+\.\d+\.\d+)(?:\/(\d+))?/g)]
    .map((m) => ({ net: toInt(m[1]!), len: Number(m[2] ?? 32) }))
    .filter((p) => p.len > 0);
  for (let n = 7; n < 255; n++) {
    const net = toInt(`10.231.${n}.0`);
    if (!taken.some((p) => overlaps(p.net, p.len, net, 24))) return `10.231.${n}`;
  }
  throw new Error('no free 10.231.N.0/24 for the test network: routes or addresses of this machine cover them all');
}

const toInt = (ip: string) => ip.split('.').reduce((a, o) => a * 256 + Number(o), 0);

function overlaps(a: number, aLen: number, b: number, bLen: number): boolean {
  const size = 2 ** (32 - Math.min(aLen, bLen));
  return Math.floor(a / size) === Math.floor(b / size);
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
};

/** Namespaces and links left by a test process that was SIGKILLed (no hook ran): its pid is gone now. */
function sweepLeftovers(): void {
  const names = execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' }).split('\n').map((l) => l.split(' ')[0]!);
  for (const ns of names) {
    const m = /^iqmh-(\d+)-/.exec(ns);
    if (m && !alive(Number(m[1]))) removeNetns(ns);
  }
  const links = execFileSync('ip', ['-o', 'link', 'show'], { encoding: 'utf8' });
  for (const m of links.matchAll(/^\d+: (iqmh(\d+))[@:]/gm)) if (!alive(Number(m[2]))) quiet('link', 'del', m[1]!);
}

const live = new Set<NetLab>();
const destroyAll = () => {
  for (const lab of [...live]) lab.destroySync();
};
process.once('exit', destroyAll);
// 'exit' does not run on a fatal signal: remove the network first, then let the signal do what it would have.
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  const onSignal = () => {
    destroyAll();
    process.off(sig, onSignal);
    process.kill(process.pid, sig);
  };
  process.on(sig, onSignal);
}
