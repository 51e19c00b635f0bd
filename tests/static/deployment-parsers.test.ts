import { describe, expect, it } from 'vitest';
import { durationMs } from '../helpers/static/compose.js';
import { envOf, inherited, parseDockerfile, type Stage } from '../helpers/static/dockerfile.js';
import { dockerIgnored, ignoreRules } from '../helpers/static/dockerignore.js';

// The static checks are only as good as their parsers: each is tried on input whose reading is known.

describe('the parsers of the static deployment checks', () => {
  it('read what they are given', () => {
    expect(durationMs('40s')).toBe(40_000);
    expect(durationMs('1m30s')).toBe(90_000);
    expect(() => durationMs('40')).toThrow();
    const rules = ignoreRules('**/node_modules\n*.log\n!keep.log\ndist/');
    expect(dockerIgnored(rules, 'node_modules')).toBe(true);
    expect(dockerIgnored(rules, 'a/node_modules/b')).toBe(true);
    expect(dockerIgnored(rules, 'x.log')).toBe(true);
    expect(dockerIgnored(rules, 'keep.log')).toBe(false);
    expect(dockerIgnored(rules, 'dist/a.js')).toBe(true);
    const df = parseDockerfile('ARG B=node:20-slim\nFROM ${B} AS a\nENV A=1 \\\n  # c\n  TOKEN="x y"\nFROM a\nUSER node');
    expect(df.stages.map((s) => s.base)).toEqual(['node:20-slim', 'a']);
    expect(envOf(inherited(df, df.stages[1] as Stage)).get('TOKEN')).toBe('x y');
  });
});
