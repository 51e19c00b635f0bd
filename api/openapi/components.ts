import { z } from 'zod';
import { contractSchemas } from '../../shared/contract/index.js';
import type { Obj } from './responses.js';

const SAFE = Number.MAX_SAFE_INTEGER;

/** Drops what zod adds that says nothing here: each schema's `$schema`/`$id`, and the ±2^53 bounds of `z.int()`. */
function tidy(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(tidy);
  if (!node || typeof node !== 'object') return node;
  const out: Obj = {};
  for (const [k, v] of Object.entries(node)) {
    if (k === '$schema' || k === '$id') continue;
    if ((k === 'maximum' && v === SAFE) || (k === 'minimum' && v === -SAFE)) continue;
    out[k] = tidy(v);
  }
  return out;
}

/**
 * `components.schemas`: every named schema of the contract, as JSON Schema 2020-12 (the dialect of OpenAPI 3.1),
 * zod 4's own output: no generator library, and what a schema says is what the server validates and infers.
 */
export function contractComponents(): Record<string, Obj> {
  const { schemas } = z.toJSONSchema(contractSchemas, { uri: (id) => `#/components/schemas/${id}`, unrepresentable: 'throw' });
  return tidy(schemas) as Record<string, Obj>;
}
