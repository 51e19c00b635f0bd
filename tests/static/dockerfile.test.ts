import { existsSync } from 'node:fs';
import { join, posix } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  NPM_CI, NPM_CI_PROD, argAssignments, commandOf, copySources, covers, envAssignments, envOf, flag, imageOf, inherited,
  last, lineage, parseDockerfile, stageNamed, type Stage,
} from '../helpers/static/dockerfile.js';
import { SECRET_NAME, read, root } from '../helpers/static/repo-files.js';

// The Dockerfile, checked as text against the repo (see tests/helpers/static/repo-files.ts for why).

const dockerfile = parseDockerfile(read('Dockerfile'));
const final = dockerfile.stages.at(-1) as Stage;
const finalInstructions = inherited(dockerfile, final);
const finalRuns = finalInstructions.filter((i) => i.keyword === 'RUN').map((i) => i.args);
const packageJson = JSON.parse(read('package.json')) as { scripts?: Record<string, string> };
const scripts = packageJson.scripts ?? {};

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
