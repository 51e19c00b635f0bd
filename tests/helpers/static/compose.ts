// docker-compose.yml's shapes (short and long syntax of environment, ports and volumes; durations), read as the
// Compose specification defines them.

export type Dict = Record<string, unknown>;

export function isDict(value: unknown): value is Dict {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function dict(value: unknown, what: string): Dict {
  if (!isDict(value)) throw new Error(`${what} should be a mapping, got ${JSON.stringify(value)}`);
  return value;
}

export function environment(service: Dict): Map<string, string | null> {
  const env = service.environment;
  if (Array.isArray(env)) {
    return new Map(
      env.map((entry) => {
        const s = String(entry);
        const eq = s.indexOf('=');
        return eq < 0 ? [s, null] : [s.slice(0, eq), s.slice(eq + 1)];
      }),
    );
  }
  if (env === undefined) return new Map();
  return new Map(Object.entries(dict(env, 'environment')).map(([k, v]) => [k, v === null ? null : String(v)]));
}

export function words(value: unknown): string {
  return Array.isArray(value) ? value.map(String).join(' ') : String(value ?? '');
}

export interface PortMapping {
  host: string | undefined;
  container: number;
}

export function ports(service: Dict): PortMapping[] {
  const list = service.ports;
  if (list === undefined) return [];
  if (!Array.isArray(list)) throw new Error(`ports should be a list, got ${JSON.stringify(list)}`);
  return list.map((entry: unknown) => {
    if (isDict(entry)) {
      return { host: entry.published === undefined ? undefined : String(entry.published), container: Number(entry.target) };
    }
    const parts = String(entry).replace(/\/(tcp|udp)$/, '').split(':');
    return { host: parts.length > 1 ? parts.at(-2) : undefined, container: Number(parts.at(-1)) };
  });
}

export interface Mount {
  source: string;
  target: string;
  named: boolean;
}

export function mounts(service: Dict): Mount[] {
  const list = (service.volumes ?? []) as unknown[];
  return list.map((entry) => {
    if (isDict(entry)) {
      const source = String(entry.source ?? '');
      return { source, target: String(entry.target), named: entry.type === 'volume' };
    }
    const [source = '', target = ''] = String(entry).split(':');
    return { source, target, named: !/^[./~]/.test(source) };
  });
}

export const DURATION_UNITS: Record<string, number> = { h: 3_600_000, m: 60_000, s: 1000, ms: 1, us: 0.001 };

/** Compose durations: `40s`, `1m30s`, `1.5s`, `500ms`. */
export function durationMs(value: unknown): number {
  const text = String(value).trim();
  const parts = [...text.matchAll(/(\d+(?:\.\d+)?)(ms|us|h|m|s)/g)];
  if (text === '' || parts.map((p) => p[0]).join('') !== text) {
    throw new Error(`not a compose duration: ${JSON.stringify(value)}`);
  }
  return parts.reduce((sum, p) => sum + Number(p[1]) * (DURATION_UNITS[p[2] ?? ''] ?? NaN), 0);
}

export const isInterpolation = (value: string): boolean => /^\$\{\w+(:?[-?][^}]*)?\}$/.test(value);
