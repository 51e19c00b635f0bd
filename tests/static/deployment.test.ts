import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, posix, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';

// The images are never built where this project is developed (no Docker engine runs there, and no hadolint is
// installed), so the Dockerfile, docker-compose.yml and .dockerignore are checked here as text against the repo:
// the things a build or `compose up` would only reveal late (a command pointing at a file the build does not
// produce, a volume mounted at the wrong path, a grace period shorter than the drain) fail here instead.

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const read = (path: string): string => readFileSync(join(root, path), 'utf8');
const toPosix = (path: string): string => path.split(sep).join('/');

const SECRET_NAME = /KEY|SECRET|TOKEN|PASSWORD|PASSWD|CREDENTIAL/i;
/** Secrets the app reads; in compose they may only arrive through env_file. */
const APP_SECRETS = ['API_KEYS', 'WEBHOOK_SECRET', 'ADMIN_TOKEN'];

// ---- Dockerfile ------------------------------------------------------------------------------------------------

interface Instruction {
  keyword: string;
  /** Leading `--name=value` flags, value '' for bare flags; repeated flags (RUN --mount) are kept in order. */
  flags: Array<[string, string]>;
  args: string;
  line: number;
}

interface Stage {
  index: number;
  name: string | undefined;
  /** The FROM image after substituting global ARG defaults: an image reference or an earlier stage's name. */
  base: string;
  instructions: Instruction[];
}

interface Dockerfile {
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

function parseDockerfile(text: string): Dockerfile {
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
function shellWords(text: string): string[] {
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

function argAssignments(args: string): Array<[string, string]> {
  return shellWords(args).map((w) => {
    const eq = w.indexOf('=');
    return eq < 0 ? [w, ''] : [w.slice(0, eq), w.slice(eq + 1)];
  });
}

function envAssignments(args: string): Array<[string, string]> {
  const words = shellWords(args);
  const first = words[0] ?? '';
  // Legacy form `ENV NAME value with spaces`.
  if (!first.includes('=')) return [[first, words.slice(1).join(' ')]];
  return argAssignments(args);
}

/** Exec form (JSON array) as is; shell form as `/bin/sh -c <text>`. */
function commandOf(args: string): string[] {
  if (args.startsWith('[')) return JSON.parse(args) as string[];
  return ['/bin/sh', '-c', args];
}

function flag(ins: Instruction, name: string): string | undefined {
  return ins.flags.find(([k]) => k === name)?.[1];
}

function stageNamed(df: Dockerfile, ref: string): Stage | undefined {
  return df.stages.find((s) => s.name === ref || String(s.index) === ref);
}

/** The stage and the stages it is built FROM, oldest first. */
function lineage(df: Dockerfile, stage: Stage): Stage[] {
  const parent = stageNamed(df, stage.base);
  return parent && parent.index < stage.index ? [...lineage(df, parent), stage] : [stage];
}

function inherited(df: Dockerfile, stage: Stage): Instruction[] {
  return lineage(df, stage).flatMap((s) => s.instructions);
}

function imageOf(df: Dockerfile, stage: Stage): string {
  return lineage(df, stage)[0]?.base ?? '';
}

function last(instructions: Instruction[], keyword: string): Instruction | undefined {
  return instructions.filter((i) => i.keyword === keyword).at(-1);
}

function envOf(instructions: Instruction[]): Map<string, string> {
  return new Map(instructions.filter((i) => i.keyword === 'ENV').flatMap((i) => envAssignments(i.args)));
}

/** COPY sources (every word but the destination), in exec or shell form. */
function copySources(ins: Instruction): string[] {
  const words = ins.args.startsWith('[') ? (JSON.parse(ins.args) as string[]) : shellWords(ins.args);
  return words.slice(0, -1);
}

const covers = (source: string, path: string): boolean => {
  const s = posix.join('/', source).replace(/\/$/, '');
  return s === '' || path === s || path.startsWith(`${s}/`);
};

const NPM_CI = /\bnpm\s+ci\b/;
const NPM_CI_PROD = /\bnpm\s+ci\b[^&;|]*--omit[= ]dev\b/;

// ---- docker-compose.yml ----------------------------------------------------------------------------------------

type Dict = Record<string, unknown>;

function isDict(value: unknown): value is Dict {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function dict(value: unknown, what: string): Dict {
  if (!isDict(value)) throw new Error(`${what} should be a mapping, got ${JSON.stringify(value)}`);
  return value;
}

function environment(service: Dict): Map<string, string | null> {
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

function words(value: unknown): string {
  return Array.isArray(value) ? value.map(String).join(' ') : String(value ?? '');
}

interface PortMapping {
  host: string | undefined;
  container: number;
}

function ports(service: Dict): PortMapping[] {
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

interface Mount {
  source: string;
  target: string;
  named: boolean;
}

function mounts(service: Dict): Mount[] {
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

const DURATION_UNITS: Record<string, number> = { h: 3_600_000, m: 60_000, s: 1000, ms: 1, us: 0.001 };

/** Compose durations: `40s`, `1m30s`, `1.5s`, `500ms`. */
function durationMs(value: unknown): number {
  const text = String(value).trim();
  const parts = [...text.matchAll(/(\d+(?:\.\d+)?)(ms|us|h|m|s)/g)];
  if (text === '' || parts.map((p) => p[0]).join('') !== text) {
    throw new Error(`not a compose duration: ${JSON.stringify(value)}`);
  }
  return parts.reduce((sum, p) => sum + Number(p[1]) * (DURATION_UNITS[p[2] ?? ''] ?? NaN), 0);
}

const isInterpolation = (value: string): boolean => /^\$\{\w+(:?[-?][^}]*)?\}$/.test(value);

// ---- .dockerignore ---------------------------------------------------------------------------------------------

interface IgnoreRule {
  negate: boolean;
  regex: RegExp;
}

function globToRegExp(glob: string): RegExp {
  let re = '';
  for (let i = 0; i < glob.length; i += 1) {
    const c = glob[i] ?? '';
    if (c === '*' && glob[i + 1] === '*') {
      i += 1;
      if (glob[i + 1] === '/') {
        i += 1;
        re += '(?:.*/)?';
      } else {
        re += '.*';
      }
    } else if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else re += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

function ignoreRules(text: string): IgnoreRule[] {
  return text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'))
    .map((l) => {
      const negate = l.startsWith('!');
      const glob = posix.normalize((negate ? l.slice(1) : l).replace(/^\/+/, '')).replace(/\/$/, '');
      return { negate, regex: globToRegExp(glob) };
    });
}

/** Whether Docker leaves `path` out of the build context: a rule matching a folder also drops its contents. */
function dockerIgnored(rules: IgnoreRule[], path: string): boolean {
  const parts = path.split('/');
  const prefixes = parts.map((_, i) => parts.slice(0, i + 1).join('/'));
  let ignored = false;
  for (const rule of rules) {
    if (prefixes.some((p) => rule.regex.test(p))) ignored = !rule.negate;
  }
  return ignored;
}

// ---- what `npm run build` produces -----------------------------------------------------------------------------

/** Maps each file tsconfig.build.json emits (`dist/api/main.js`) to its source, as tsc resolves the config. */
function buildOutputs(): Map<string, string> {
  const host: ts.ParseConfigFileHost = {
    ...ts.sys,
    onUnRecoverableConfigFileDiagnostic: (d) => {
      throw new Error(ts.flattenDiagnosticMessageText(d.messageText, '\n'));
    },
  };
  const parsed = ts.getParsedCommandLineOfConfigFile(join(root, 'tsconfig.build.json'), undefined, host);
  if (!parsed?.options.outDir) throw new Error('tsconfig.build.json resolves no outDir');
  const { outDir } = parsed.options;
  const rootDir = parsed.options.rootDir ?? root;
  const outputs = new Map<string, string>();
  for (const file of parsed.fileNames) {
    if (!/\.[mc]?tsx?$/.test(file) || file.endsWith('.d.ts')) continue;
    const emitted = join(outDir, relative(rootDir, file)).replace(/\.([mc]?)tsx?$/, '.$1js');
    outputs.set(toPosix(relative(root, emitted)), toPosix(relative(root, file)));
  }
  return outputs;
}

function nodeScripts(command: string): string[] {
  return [...command.matchAll(/\bnode\s+(?:--\S+\s+)*(\S+\.m?js)\b/g)].map((m) => m[1] ?? '');
}

// ---- the tests -------------------------------------------------------------------------------------------------

const dockerfile = parseDockerfile(read('Dockerfile'));
const final = dockerfile.stages.at(-1) as Stage;
const finalInstructions = inherited(dockerfile, final);
const finalRuns = finalInstructions.filter((i) => i.keyword === 'RUN').map((i) => i.args);
const packageJson = JSON.parse(read('package.json')) as { scripts?: Record<string, string> };
const scripts = packageJson.scripts ?? {};

const compose = dict(parseYaml(read('docker-compose.yml')), 'docker-compose.yml');
const services = dict(compose.services, 'services');
const service = (name: string): Dict => dict(services[name], `services.${name}`);

describe('Dockerfile', () => {
  it('has a build stage and a separate final stage on a Debian slim node 20 image', () => {
    expect(dockerfile.stages.length).toBeGreaterThanOrEqual(2);
    const image = imageOf(dockerfile, final);
    expect(image).toMatch(/^node:20\b[\w.-]*slim/);
    expect(image).not.toMatch(/alpine/);
  });

  it('installs with `npm ci` after copying the lockfile and .npmrc, never `npm install`', () => {
    const all = dockerfile.stages.flatMap((s) => s.instructions);
    expect(all.some((i) => i.keyword === 'RUN' && NPM_CI.test(i.args))).toBe(true);
    expect(all.filter((i) => i.keyword === 'RUN' && /\bnpm\s+(install|i|add)\b/.test(i.args))).toEqual([]);
    for (const stage of dockerfile.stages) {
      const seen = inherited(dockerfile, stage);
      seen.forEach((ins, at) => {
        if (ins.keyword !== 'RUN' || !NPM_CI.test(ins.args)) return;
        const copied = seen.slice(0, at).filter((i) => i.keyword === 'COPY' && !flag(i, 'from')).flatMap(copySources);
        const has = (file: string): boolean => copied.some((src) => src === '.' || posix.normalize(src) === file);
        expect(has('.npmrc'), `line ${ins.line}: .npmrc (strict-allow-scripts) copied before npm ci`).toBe(true);
        expect(has('package-lock.json'), `line ${ins.line}: lockfile copied before npm ci`).toBe(true);
      });
    }
  });

  it('compiles with `npm run build`, and every `npm run` script it calls exists in package.json', () => {
    const runs = dockerfile.stages.flatMap((s) => s.instructions).filter((i) => i.keyword === 'RUN');
    expect(runs.some((i) => /\bnpm\s+run\s+build\b/.test(i.args))).toBe(true);
    expect(scripts.build).toBeTruthy();
    for (const ins of runs) {
      for (const m of ins.args.matchAll(/\bnpm\s+run\s+([\w:-]+)/g)) {
        expect(scripts[m[1] ?? ''], `line ${ins.line}: npm run ${m[1]}`).toBeTruthy();
      }
    }
  });

  it('ships production dependencies only, installed on the same base image as the final stage', () => {
    expect(finalRuns.filter((r) => NPM_CI.test(r) && !NPM_CI_PROD.test(r))).toEqual([]);
    const ownInstall = finalRuns.some((r) => NPM_CI_PROD.test(r));
    const copies = final.instructions.filter(
      (i) => i.keyword === 'COPY' && flag(i, 'from') && copySources(i).some((s) => /node_modules/.test(s)),
    );
    expect(ownInstall || copies.length > 0, 'final stage installs or copies node_modules').toBe(true);
    for (const copy of copies) {
      const from = stageNamed(dockerfile, flag(copy, 'from') ?? '');
      expect(from, `line ${copy.line}: COPY --from names a stage`).toBeDefined();
      if (!from) continue;
      const runs = inherited(dockerfile, from).filter((i) => i.keyword === 'RUN').map((i) => i.args);
      expect(runs.some((r) => NPM_CI_PROD.test(r)), `stage ${from.name} runs npm ci --omit=dev`).toBe(true);
      expect(runs.filter((r) => NPM_CI.test(r) && !NPM_CI_PROD.test(r)), `stage ${from.name}: no dev deps`).toEqual([]);
      expect(imageOf(dockerfile, from), 'native modules built for the runtime libc').toBe(imageOf(dockerfile, final));
    }
  });

  it('fetches the models at build time into MODELS_DIR and ships them with the manifest', () => {
    const env = envOf(finalInstructions);
    const modelsDir = env.get('MODELS_DIR');
    expect(modelsDir).toBe('/app/models/cache');
    // MODEL_MANIFEST defaults to models/manifest.json, resolved against the working directory.
    expect(last(finalInstructions, 'WORKDIR')?.args).toBe('/app');
    const fetchStage = dockerfile.stages.find((s) =>
      s.instructions.some((i) => i.keyword === 'RUN' && /\bnode\s+dist\/models\/fetch\.js\b/.test(i.args)),
    );
    expect(fetchStage, 'a stage runs node dist/models/fetch.js').toBeDefined();
    if (!fetchStage) return;
    const seen = inherited(dockerfile, fetchStage);
    const fetchAt = seen.findIndex((i) => i.keyword === 'RUN' && /dist\/models\/fetch\.js/.test(i.args));
    const fetchRun = seen[fetchAt];
    expect(seen.slice(0, fetchAt).some((i) => i.keyword === 'RUN' && /npm\s+run\s+build/.test(i.args))).toBe(true);
    const dirAtFetch = /\bMODELS_DIR=(\S+)/.exec(fetchRun?.args ?? '')?.[1] ?? envOf(seen.slice(0, fetchAt)).get('MODELS_DIR');
    expect(dirAtFetch, 'the fetch writes where the runtime reads').toBe(modelsDir);

    const fromFetch = final.instructions.filter((i) => {
      const from = i.keyword === 'COPY' ? stageNamed(dockerfile, flag(i, 'from') ?? '') : undefined;
      return from !== undefined && lineage(dockerfile, from).includes(fetchStage);
    });
    const shipped = (path: string): boolean => fromFetch.some((i) => copySources(i).some((s) => covers(s, path)));
    expect(shipped(modelsDir ?? ''), 'final stage copies the fetched weights').toBe(true);
    expect(shipped('/app/models/manifest.json'), 'final stage copies models/manifest.json').toBe(true);
    expect(existsSync(join(root, 'models/manifest.json')), 'models/manifest.json exists in the repo').toBe(true);
  });

  it('runs as a non-root user under an init, with a node-based HEALTHCHECK on /health', () => {
    const user = last(final.instructions, 'USER')?.args;
    expect(user, 'final stage sets USER').toBeDefined();
    expect(user).not.toMatch(/^(root|0)(:.*)?$/);

    const health = last(finalInstructions, 'HEALTHCHECK');
    expect(health, 'final stage has a HEALTHCHECK').toBeDefined();
    expect(health?.args).not.toMatch(/^NONE$/i);
    expect(health?.args).toMatch(/\/health\b/);
    // node:20-slim has neither curl nor wget.
    expect(health?.args).not.toMatch(/\b(curl|wget)\b/);

    const entrypoint = commandOf(last(finalInstructions, 'ENTRYPOINT')?.args ?? '[]');
    const init = posix.basename(entrypoint[0] ?? '');
    expect(['tini', 'dumb-init']).toContain(init);
    const install = finalRuns.find((r) => new RegExp(`apt-get\\s+install[^&;]*\\b${init}\\b`).test(r));
    expect(install, `final stage installs ${init}`).toBeDefined();
    expect(install).toMatch(/--no-install-recommends/);
    expect(install).toMatch(/rm -rf \/var\/lib\/apt\/lists/);
  });

  it('keeps build tools out of the final image and sets the runtime environment', () => {
    expect(finalRuns.filter((r) => /\b(build-essential|g\+\+|gcc|make|python3|node-gyp)\b/.test(r))).toEqual([]);
    const env = envOf(finalInstructions);
    expect(env.get('NODE_ENV')).toBe('production');
    expect(env.get('UV_THREADPOOL_SIZE')).toBe('4');
    const exposed = final.instructions.filter((i) => i.keyword === 'EXPOSE').flatMap((i) => i.args.split(/\s+/));
    expect(exposed).toEqual(expect.arrayContaining(['8080', '9464']));
    expect(exposed).toContain(env.get('PORT') ?? '8080');
    expect(exposed).toContain(env.get('WORKER_METRICS_PORT') ?? '9464');
    // "type": "module" in package.json is what makes node load dist/**/*.js as ESM.
    const copiesPackageJson = final.instructions.some(
      (i) => i.keyword === 'COPY' && !flag(i, 'from') && copySources(i).includes('package.json'),
    );
    expect(copiesPackageJson, 'final stage copies package.json').toBe(true);
  });

  it('starts the API by default', () => {
    expect(commandOf(last(final.instructions, 'CMD')?.args ?? '[]')).toEqual(['node', 'dist/api/main.js']);
  });

  it('has no secret-like ENV or ARG with a value', () => {
    const all = [...dockerfile.stages.flatMap((s) => s.instructions)];
    const assigned: Array<[string, string]> = [...dockerfile.globalArgs.entries()];
    for (const ins of all) {
      if (ins.keyword === 'ENV') assigned.push(...envAssignments(ins.args));
      if (ins.keyword === 'ARG') assigned.push(...argAssignments(ins.args));
    }
    expect(assigned.filter(([k, v]) => SECRET_NAME.test(k) && v !== '')).toEqual([]);
  });
});

describe('docker-compose.yml', () => {
  const redis = service('redis');
  const api = service('api');
  const worker = service('worker');

  it('runs redis with AOF, noeviction, a named volume and a redis-cli ping healthcheck', () => {
    const command = words(redis.command);
    expect(command).toMatch(/--appendonly\s+yes\b/);
    expect(command).toMatch(/--appendfsync\s+everysec\b/);
    expect(command).toMatch(/--maxmemory-policy\s+noeviction\b/);
    expect(mounts(redis)).toContainEqual({ source: 'redis-data', target: '/data', named: true });
    expect(words(dict(redis.healthcheck, 'redis.healthcheck').test)).toMatch(/redis-cli\s+ping/);
  });

  it('points api and worker at the redis service', () => {
    for (const [name, svc] of [['api', api], ['worker', worker]] as const) {
      const url = environment(svc).get('REDIS_URL');
      expect(url, `${name} REDIS_URL`).toBeTruthy();
      const host = new URL(url ?? '').hostname;
      expect(Object.keys(services), `${name} REDIS_URL host is a service`).toContain(host);
      expect(dict(dict(svc.depends_on, `${name}.depends_on`)[host], `${name}.depends_on.${host}`).condition).toBe(
        'service_healthy',
      );
    }
  });

  it('publishes the API port with a /health healthcheck, built from this repo', () => {
    const port = Number(environment(api).get('PORT') ?? 8080);
    expect(port).toBe(8080);
    expect(ports(api).some((p) => p.container === port && p.host !== undefined)).toBe(true);
    const test = words(dict(api.healthcheck, 'api.healthcheck').test);
    expect(test).toMatch(/\/health\b/);
    expect(test).toMatch(new RegExp(`\\b${port}\\b|process\\.env\\.PORT`));
    const build = typeof api.build === 'string' ? api.build : dict(api.build, 'api.build').context;
    expect(build).toBe('.');
    expect(api.image).toBe('inferq:latest');
  });

  it('passes only build args that the Dockerfile declares', () => {
    const declared = new Set(
      [
        ...dockerfile.globalArgs.keys(),
        ...dockerfile.stages.flatMap((s) => s.instructions.filter((i) => i.keyword === 'ARG'))
          .flatMap((i) => argAssignments(i.args).map(([k]) => k)),
      ],
    );
    for (const [name, svc] of Object.entries(services)) {
      const build = dict(svc, name).build;
      const args = isDict(build) && isDict(build.args) ? Object.keys(build.args) : [];
      for (const arg of args) expect(declared.has(arg), `${name} build arg ${arg} is an ARG`).toBe(true);
    }
  });

  it('runs scalable workers from the same image that drain before Docker kills them', () => {
    expect(worker.image).toBe(api.image);
    expect(words(worker.command)).toBe('node dist/worker/main.js');
    expect(worker.ports, 'replicas cannot share a published port').toBeUndefined();
    expect(worker.container_name, 'a fixed name prevents scaling').toBeUndefined();
    expect(Number(dict(worker.deploy, 'worker.deploy').replicas)).toBeGreaterThanOrEqual(2);
    const drainMs = Number(environment(worker).get('WORKER_SHUTDOWN_TIMEOUT_MS') ?? 30_000);
    expect(worker.stop_grace_period, 'the default 10 s would cut the drain short').toBeDefined();
    expect(durationMs(worker.stop_grace_period)).toBeGreaterThan(drainMs);
    const metricsPort = environment(worker).get('WORKER_METRICS_PORT') ?? '9464';
    expect(metricsPort, 'prometheus.yml discovers workers on 9464').toBe('9464');
    const test = words(dict(worker.healthcheck, 'worker.healthcheck').test);
    expect(test).toMatch(/\/health\b/);
    expect(test).toMatch(/\b9464\b|WORKER_METRICS_PORT/);
  });

  it('mounts one upload volume in api and worker at UPLOAD_DIR', () => {
    const uploadMount = (name: string, svc: Dict): Mount | undefined => {
      const dir = environment(svc).get('UPLOAD_DIR');
      expect(dir, `${name} sets UPLOAD_DIR`).toBeTruthy();
      return mounts(svc).find((m) => m.target === dir);
    };
    const inApi = uploadMount('api', api);
    const inWorker = uploadMount('worker', worker);
    expect(inApi?.named, 'api mounts a named volume at UPLOAD_DIR').toBe(true);
    expect(inWorker).toEqual(inApi);
  });

  it('declares every named volume it mounts', () => {
    const declared = Object.keys(dict(compose.volumes, 'volumes'));
    expect(declared).toEqual(expect.arrayContaining(['redis-data', 'uploads', 'prometheus-data', 'grafana-data']));
    for (const [name, svc] of Object.entries(services)) {
      for (const m of mounts(dict(svc, name)).filter((x) => x.named)) {
        expect(declared, `${name} mounts ${m.source}`).toContain(m.source);
      }
    }
  });

  it('mounts prometheus and grafana configuration that exists in the repo', () => {
    const prometheus = service('prometheus');
    const grafana = service('grafana');
    expect(mounts(prometheus)).toContainEqual(expect.objectContaining({ source: './prometheus', target: '/etc/prometheus' }));
    expect(mounts(grafana)).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ source: './grafana/provisioning', target: '/etc/grafana/provisioning' }),
        expect.objectContaining({ source: './grafana/dashboards', target: '/var/lib/grafana/dashboards' }),
      ]),
    );
    for (const [name, svc] of Object.entries(services)) {
      for (const m of mounts(dict(svc, name)).filter((x) => !x.named)) {
        expect(existsSync(join(root, m.source)), `${name} bind-mounts ${m.source}`).toBe(true);
      }
    }
    const config = /--config\.file=(\S+)/.exec(words(prometheus.command))?.[1];
    expect(config).toBe('/etc/prometheus/prometheus.yml');
    const mount = mounts(prometheus).find((m) => !m.named && covers(m.target, config ?? ''));
    const hostPath = join(root, mount?.source ?? '', posix.relative(mount?.target ?? '/', config ?? ''));
    expect(existsSync(hostPath) && statSync(hostPath).isFile(), `${toPosix(relative(root, hostPath))} exists`).toBe(true);
  });

  it('keeps secrets out of the file: app secrets via env_file only, others interpolated', () => {
    for (const [name, svc] of Object.entries(services)) {
      const s = dict(svc, name);
      for (const [key, value] of environment(s)) {
        expect(APP_SECRETS.includes(key), `${name}.environment sets ${key}; it belongs in .env`).toBe(false);
        if (SECRET_NAME.test(key) && value !== null) {
          expect(isInterpolation(value), `${name}.environment.${key} must be \${VAR}, got ${value}`).toBe(true);
        }
      }
      const build = isDict(s.build) ? s.build : {};
      for (const [key, value] of Object.entries(isDict(build.args) ? build.args : {})) {
        expect(SECRET_NAME.test(key) && String(value ?? '') !== '', `${name} build arg ${key}`).toBe(false);
      }
    }
    const password = environment(service('grafana')).get('GF_SECURITY_ADMIN_PASSWORD');
    expect(isInterpolation(password ?? '')).toBe(true);
    for (const svc of [api, worker]) {
      const files = (Array.isArray(svc.env_file) ? svc.env_file : [svc.env_file]) as unknown[];
      expect(files).toContainEqual({ path: '.env', required: false });
    }
  });

  it('runs only commands that the build produces', () => {
    const outputs = buildOutputs();
    const commands = [
      ...dockerfile.stages.flatMap((s) => s.instructions)
        .filter((i) => ['RUN', 'CMD', 'ENTRYPOINT'].includes(i.keyword))
        .map((i) => commandOf(i.args).join(' ')),
      ...Object.values(services).map((svc) => words(dict(svc, 'service').command)),
    ];
    const used = [...new Set(commands.flatMap(nodeScripts))];
    expect(used).toEqual(expect.arrayContaining(['dist/api/main.js', 'dist/worker/main.js', 'dist/models/fetch.js']));
    for (const script of used) {
      expect(outputs.get(script), `${script} is emitted by tsconfig.build.json`).toBeDefined();
      expect(existsSync(join(root, outputs.get(script) ?? '\0')), `${outputs.get(script)} exists`).toBe(true);
    }
  });
});

describe('.dockerignore', () => {
  const rules = ignoreRules(read('.dockerignore'));

  it('leaves out dependencies, build output, git history, secrets and fetched weights', () => {
    for (const path of ['node_modules', 'node_modules/sharp/package.json', '.git', 'dist', '.env', 'models/cache']) {
      expect(dockerIgnored(rules, path), path).toBe(true);
    }
  });

  it('keeps everything the build stage needs', () => {
    const config = ts.readConfigFile(join(root, 'tsconfig.build.json'), ts.sys.readFile).config as { include?: string[] };
    const needed = [
      'package.json',
      'package-lock.json',
      '.npmrc',
      'tsconfig.json',
      'tsconfig.build.json',
      'models/manifest.json',
      'api/main.ts',
      'worker/main.ts',
      'models/fetch.ts',
      ...(config.include ?? []),
    ];
    for (const path of needed) expect(dockerIgnored(rules, path), path).toBe(false);
  });
});

describe('the parsers used above', () => {
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
