/**
 * A small validator for the JSON Schema 2020-12 subset the generated document uses (`$ref`, `anyOf`, `type` as a
 * name or a list, `enum`, `const`, bounds, `pattern`, `items`, `properties`/`required`/`additionalProperties`),
 * so the tests check real answers against the document itself, not against the zod schemas it came from.
 */
export type Obj = Record<string, unknown>;

export function resolver(doc: Obj) {
  function resolvePointer(pointer: string): unknown {
    if (!pointer.startsWith('#/')) return undefined;
    let node: unknown = doc;
    for (const raw of pointer.slice(2).split('/')) {
      const key = raw.replace(/~1/g, '/').replace(/~0/g, '~');
      if (node === null || typeof node !== 'object' || !(key in node)) return undefined;
      node = (node as Obj)[key];
    }
    return node;
  }
  /** Follows `$ref`s (with a bound, so a cycle of refs fails instead of hanging). */
  function deref<T = Obj>(node: unknown): T {
    let n = node as Obj;
    for (let i = 0; i < 20 && n && typeof n.$ref === 'string'; i++) n = resolvePointer(n.$ref) as Obj;
    return n as T;
  }
  return { resolvePointer, deref };
}

const typeOf = (v: unknown) => (v === null ? 'null' : Array.isArray(v) ? 'array' : Number.isInteger(v) ? 'integer' : typeof v);

export function validator(doc: Obj) {
  const { deref } = resolver(doc);
  /** Whether a schema admits null (`anyOf` with `{type: 'null'}`, or a type list naming it). */
  const allowsNull = (schema: unknown): boolean => validate(schema, null).length === 0;

  function validate(schema: unknown, value: unknown, at = '$'): string[] {
    const s = deref(schema);
    if (Array.isArray(s.anyOf)) {
      const tries = (s.anyOf as unknown[]).map((sub) => validate(sub, value, at));
      if (!tries.some((t) => t.length === 0)) return [`${at}: matches no anyOf branch (${tries.map((t) => t.join(', ')).join(' | ')})`];
    }
    const errors: string[] = [];
    if (s.type !== undefined) {
      const types = Array.isArray(s.type) ? (s.type as string[]) : [s.type as string];
      const t = typeOf(value);
      if (!types.includes(t) && !(t === 'integer' && types.includes('number'))) return [`${at}: expected ${types.join('|')}, got ${JSON.stringify(value)}`];
    }
    if ('const' in s && s.const !== value) errors.push(`${at}: ${JSON.stringify(value)} is not ${JSON.stringify(s.const)}`);
    if (Array.isArray(s.enum) && !s.enum.includes(value)) errors.push(`${at}: ${JSON.stringify(value)} not in ${JSON.stringify(s.enum)}`);
    if (typeof value === 'number') {
      if (typeof s.minimum === 'number' && value < s.minimum) errors.push(`${at}: ${value} < ${s.minimum}`);
      if (typeof s.maximum === 'number' && value > s.maximum) errors.push(`${at}: ${value} > ${s.maximum}`);
    }
    if (typeof value === 'string' && typeof s.pattern === 'string' && !new RegExp(s.pattern).test(value)) errors.push(`${at}: ${value} !~ ${s.pattern}`);
    if (Array.isArray(value) && s.items) value.forEach((v, i) => errors.push(...validate(s.items, v, `${at}[${i}]`)));
    if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
      const obj = value as Obj;
      const props = (s.properties ?? {}) as Obj;
      for (const r of (s.required as string[] | undefined) ?? []) if (!(r in obj)) errors.push(`${at}: missing required ${r}`);
      for (const [k, v] of Object.entries(obj)) {
        if (props[k]) errors.push(...validate(props[k], v, `${at}.${k}`));
        else if (s.additionalProperties === false) errors.push(`${at}: undocumented key ${k}`);
        else if (s.additionalProperties && typeof s.additionalProperties === 'object') errors.push(...validate(s.additionalProperties, v, `${at}.${k}`));
      }
    }
    return errors;
  }
  return { validate, allowsNull };
}
