import fs from 'node:fs';
import os from 'node:os';
import { createRequire } from 'node:module';

export interface Machine {
  cores: number;
  cpuModel: string;
  memoryGb: number;
  kernel: string;
  node: string;
  onnxruntimeNode: string;
  sharp: string;
  libvips: string;
  bullmq: string;
  redis: string;
  loadAverageAtStart: number[];
}

const require = createRequire(import.meta.url);
const versionOf = (pkg: string) => {
  try {
    return (require(`${pkg}/package.json`) as { version: string }).version;
  } catch {
    return 'unknown';
  }
};

export async function describeMachine(redisVersion: string): Promise<Machine> {
  const cpuinfo = fs.readFileSync('/proc/cpuinfo', 'utf8');
  const sharp = (await import('sharp')).default;
  return {
    cores: os.availableParallelism(),
    cpuModel: /^model name\s*:\s*(.*)$/m.exec(cpuinfo)?.[1]?.trim() ?? os.cpus()[0]?.model ?? 'unknown',
    memoryGb: Math.round(os.totalmem() / 2 ** 30),
    kernel: os.release(),
    node: process.version,
    onnxruntimeNode: versionOf('onnxruntime-node'),
    sharp: versionOf('sharp'),
    libvips: sharp.versions.vips,
    bullmq: versionOf('bullmq'),
    redis: redisVersion,
    loadAverageAtStart: os.loadavg().map((x) => Math.round(x * 100) / 100),
  };
}
