import { spawn } from 'node:child_process';
import { exitOf } from '../processes/cleanup.js';

/** Runs `redis-cli -h host -p port args…` (the way an operator would look); resolves with its trimmed output. */
export async function redisCliOn(host: string, port: number, ...args: string[]): Promise<string> {
  const child = spawn('redis-cli', ['-h', host, '-p', String(port), ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (out += d));
  const { code } = await exitOf(child);
  if (code !== 0) throw new Error(`redis-cli -h ${host} -p ${port} ${args.join(' ')} exited ${code}: ${out}`);
  return out.trim();
}

/** `redisCliOn` a loopback server, where every single-host topology here listens. */
export const redisCli = (port: number, ...args: string[]): Promise<string> => redisCliOn('127.0.0.1', port, ...args);
