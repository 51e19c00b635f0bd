import { z } from 'zod';

// The field kinds the configuration sections are written in: every key arrives as a string (or not at all) and
// leaves typed, with its default filled in.

/** A whole, non-negative number of milliseconds, `def` when unset. */
export const durationMs = (def: number) => z.coerce.number().int().nonnegative().default(def);

/** `true` or `false` (nothing else), `def` when unset. */
export const flag = (def: 'true' | 'false') => z.enum(['true', 'false']).default(def).transform((v) => v === 'true');

/** A comma list of non-empty items; empty when unset. */
export const list = z
  .string()
  .default('')
  .transform((s) => s.split(',').map((x) => x.trim()).filter(Boolean));

/** A comma list whose every item `parse` accepts (null = refused); otherwise the key fails with `message`. */
export const listOf = <T>(def: string, parse: (item: string) => T | null, message: string) =>
  z
    .string()
    .default(def)
    .transform((s, ctx) => {
      const out = s.split(',').map((x) => x.trim()).filter(Boolean).map(parse);
      if (out.some((x) => x === null)) {
        ctx.addIssue({ code: 'custom', message });
        return z.NEVER;
      }
      return out as T[];
    });

/** `300ms`, `5s`, `5m`, `2h`, `1d` → milliseconds; a bare number is seconds. */
export function parseDuration(s: string): number | null {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)?$/.exec(s.trim());
  if (!m) return null;
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[m[2] ?? 's']!;
  return Math.round(Number(m[1]) * unit);
}

export interface HostPort {
  host: string;
  port: number;
}

/** `host:port` or `[v6]:port` → {host, port}; null when it is neither. */
export function parseHostPort(s: string): HostPort | null {
  const m = /^(?:\[([^\]]+)\]|([^:\s]+)):(\d{1,5})$/.exec(s);
  const port = m ? Number(m[3]) : 0;
  return m && port > 0 && port < 65536 ? { host: m[1] ?? m[2]!, port } : null;
}

/** A comma list of `host:port`; empty when unset. */
export const hostPorts = listOf('', parseHostPort, 'must be a comma list of host:port');

/** The typed values of one section's keys, after parsing. */
export type Parsed<S extends z.ZodRawShape> = z.output<z.ZodObject<S>>;
