import { posix } from 'node:path';

// A Dockerfile read as text, the way BuildKit reads it (line continuations, comments inside them, global ARGs
// substituted into FROM, stages inheriting from earlier stages), for checks that need no Docker engine.


export interface Instruction {
  keyword: string;
  /** Leading `--name=value` flags, value '' for bare flags; repeated flags (RUN --mount) are kept in order. */
  flags: Array<[string, string]>;
  args: string;
  line: number;
}

export interface Stage {
  index: number;
  name: string | undefined;
  /** The FROM image after substituting global ARG defaults: an image reference or an earlier stage's name. */
  base: string;
  instructions: Instruction[];
}

export interface Dockerfile {
  globalArgs: Map<string, string>;
  stages: Stage[];
}

const FLAGGED = new Set(['FROM', 'RUN', 'COPY', 'ADD', 'HEALTHCHECK']);

function logicalLines(text: string): Array<{ text: string; line: number }> {
  const lines: Array<{ text: string; line: number }> = [];
  let pending = '';
  let start = 0;
  text.split(/\r?\n/).forEach((raw, i) => {
    const trimmed = raw.trim();
    // Comment and empty lines (parser directives included) are dropped, also inside a continuation, as Docker does.
    if (trimmed.startsWith('#') || trimmed === '') return;
    if (pending === '') start = i + 1;
    if (trimmed.endsWith('\\')) {
      pending += `${trimmed.slice(0, -1)} `;
      return;
    }
    lines.push({ text: pending + trimmed, line: start });
    pending = '';
  });
  if (pending !== '') lines.push({ text: pending, line: start });
  return lines;
}

function parseInstruction(text: string, line: number): Instruction {
  const match = /^(\S+)\s*([\s\S]*)$/.exec(text);
  if (!match) throw new Error(`Dockerfile line ${line}: cannot parse "${text}"`);
  const keyword = (match[1] ?? '').toUpperCase();
  let args = match[2] ?? '';
  if (/<<-?["']?[A-Za-z_]+/.test(args) && (keyword === 'RUN' || keyword === 'COPY')) {
    throw new Error(`Dockerfile line ${line}: heredocs are not understood by this test's parser`);
  }
  const flags: Array<[string, string]> = [];
  while (FLAGGED.has(keyword) && args.startsWith('--')) {
    const token = /^--(\S+)\s*/.exec(args);
    if (!token) break;
    const body = token[1] ?? '';
    const eq = body.indexOf('=');
    flags.push(eq < 0 ? [body, ''] : [body.slice(0, eq), body.slice(eq + 1)]);
    args = args.slice(token[0].length);
  }
  return { keyword, flags, args: args.trim(), line };
}

function substitute(value: string, vars: Map<string, string>): string {
  return value.replace(/\$\{(\w+)(?::?-([^}]*))?\}|\$(\w+)/g, (_all, braced?: string, fallback?: string, bare?: string) => {
    const name = braced ?? bare ?? '';
    return vars.get(name) || fallback || '';
  });
}

export function parseDockerfile(text: string): Dockerfile {
  const globalArgs = new Map<string, string>();
  const stages: Stage[] = [];
  for (const { text: lineText, line } of logicalLines(text)) {
    const ins = parseInstruction(lineText, line);
    const current = stages.at(-1);
    if (ins.keyword === 'FROM') {
      const [image = '', as, name] = ins.args.split(/\s+/);
      stages.push({
        index: stages.length,
        name: as?.toUpperCase() === 'AS' ? name : undefined,
        base: substitute(image, globalArgs),
        instructions: [],
      });
    } else if (current) {
      current.instructions.push(ins);
    } else if (ins.keyword === 'ARG') {
      for (const [k, v] of argAssignments(ins.args)) globalArgs.set(k, v);
    } else {
      throw new Error(`Dockerfile line ${line}: ${ins.keyword} before the first FROM`);
    }
  }
  return { globalArgs, stages };
}

/** Splits like a shell: whitespace separates words, quotes group, backslash escapes. */
export function shellWords(text: string): string[] {
  const words: string[] = [];
  let word = '';
  let quote: string | undefined;
  let inWord = false;
  for (let i = 0; i < text.length; i += 1) {
    const c = text[i] ?? '';
    if (quote) {
      if (c === quote) quote = undefined;
      else if (c === '\\' && quote === '"' && i + 1 < text.length) word += text[(i += 1)] ?? '';
      else word += c;
    } else if (c === '"' || c === "'") {
      quote = c;
      inWord = true;
    } else if (c === '\\' && i + 1 < text.length) {
      word += text[(i += 1)] ?? '';
      inWord = true;
    } else if (/\s/.test(c)) {
      if (inWord) words.push(word);
      word = '';
      inWord = false;
    } else {
      word += c;
      inWord = true;
    }
  }
  if (inWord) words.push(word);
  return words;
}

export function argAssignments(args: string): Array<[string, string]> {
  return shellWords(args).map((w) => {
    const eq = w.indexOf('=');
    return eq < 0 ? [w, ''] : [w.slice(0, eq), w.slice(eq + 1)];
  });
}

export function envAssignments(args: string): Array<[string, string]> {
  const words = shellWords(args);
  const first = words[0] ?? '';
  // Legacy form `ENV NAME value with spaces`.
  if (!first.includes('=')) return [[first, words.slice(1).join(' ')]];
  return argAssignments(args);
}

/** Exec form (JSON array) as is; shell form as `/bin/sh -c <text>`. */
export function commandOf(args: string): string[] {
  if (args.startsWith('[')) return JSON.parse(args) as string[];
  return ['/bin/sh', '-c', args];
}

export function flag(ins: Instruction, name: string): string | undefined {
  return ins.flags.find(([k]) => k === name)?.[1];
}

export function stageNamed(df: Dockerfile, ref: string): Stage | undefined {
  return df.stages.find((s) => s.name === ref || String(s.index) === ref);
}

/** The stage and the stages it is built FROM, oldest first. */
export function lineage(df: Dockerfile, stage: Stage): Stage[] {
  const parent = stageNamed(df, stage.base);
  return parent && parent.index < stage.index ? [...lineage(df, parent), stage] : [stage];
}

export function inherited(df: Dockerfile, stage: Stage): Instruction[] {
  return lineage(df, stage).flatMap((s) => s.instructions);
}

export function imageOf(df: Dockerfile, stage: Stage): string {
  return lineage(df, stage)[0]?.base ?? '';
}

export function last(instructions: Instruction[], keyword: string): Instruction | undefined {
  return instructions.filter((i) => i.keyword === keyword).at(-1);
}

export function envOf(instructions: Instruction[]): Map<string, string> {
  return new Map(instructions.filter((i) => i.keyword === 'ENV').flatMap((i) => envAssignments(i.args)));
}

/** COPY sources (every word but the destination), in exec or shell form. */
export function copySources(ins: Instruction): string[] {
  const words = ins.args.startsWith('[') ? (JSON.parse(ins.args) as string[]) : shellWords(ins.args);
  return words.slice(0, -1);
}

export const covers = (source: string, path: string): boolean => {
  const s = posix.join('/', source).replace(/\/$/, '');
  return s === '' || path === s || path.startsWith(`${s}/`);
};

export const NPM_CI = /\bnpm\s+ci\b/;
export const NPM_CI_PROD = /\bnpm\s+ci\b[^&;|]*--omit[= ]dev\b/;

