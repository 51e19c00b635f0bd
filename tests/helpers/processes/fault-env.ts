import { onTestFailed, onTestFinished } from 'vitest';
import { FaultStack } from './processes.js';
import { RedisProbe, TerminalEvents } from '../jobs/jobs.js';
import { RedisServer, type RedisServerOptions } from '../redis/redis-server.js';

export interface FaultEnv {
  redis: RedisServer;
  stack: FaultStack;
  probe: RedisProbe;
  /** Terminal-status publications per job id (one stored result each). */
  events: TerminalEvents;
  /** Extra lines printed with the process logs if the test fails. */
  note: (line: string) => void;
}

/**
 * Everything one fault test needs: its own redis-server (AOF, temp dir), a process stack on it, a probe. Call
 * it inside the test: it registers the teardown (every process group killed, temp dirs removed) and a dump of
 * the captured logs when the test fails.
 */
export async function faultEnv(opts: { env?: Record<string, string>; redis?: RedisServerOptions } = {}): Promise<FaultEnv> {
  const redis = await RedisServer.start(opts.redis);
  const notes: string[] = [];
  // Filled in below; the hooks are registered first so a failure half-way still cleans up.
  const made: { stack?: FaultStack; probe?: RedisProbe; events?: TerminalEvents } = {};
  onTestFailed(() => {
    const out = [`--- notes ---`, ...notes, `--- process logs (tail) ---`, made.stack?.log.tail(12_000) ?? '', `--- redis-server ---`, redis.log.tail(2_000)];
    console.error(out.join('\n'));
  });
  onTestFinished(async () => {
    if (process.env.FAULTS_VERBOSE) console.info(notes.join('\n'));
    made.events?.close();
    made.probe?.close();
    await made.stack?.stop();
    await redis.stop();
  });
  const stack = (made.stack = await FaultStack.create(redis.url, opts.env));
  const probe = (made.probe = new RedisProbe(redis.url, stack.prefix));
  const events = (made.events = await TerminalEvents.listen(redis.url, stack.prefix));
  return { redis, stack, probe, events, note: (l) => notes.push(`${new Date().toISOString()} ${l}`) };
}
