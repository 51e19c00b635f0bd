import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** The files an entry loads (node_modules left out), and the packages it imports, as esbuild resolves them. */
async function graph(entry: string): Promise<{ files: string[]; packages: string[] }> {
  const r = await build({
    entryPoints: [entry], absWorkingDir: ROOT, bundle: true, write: false, metafile: true,
    platform: 'node', format: 'esm', packages: 'external', logLevel: 'silent',
  });
  const inputs = Object.values(r.metafile.inputs);
  return {
    files: Object.keys(r.metafile.inputs),
    packages: inputs.flatMap((i) => i.imports.filter((m) => m.external).map((m) => m.path)),
  };
}

// The queue adapter (so the worker's queues) and the error class take the contract's plain values from
// shared/contract/constants.ts: loading them must not build the zod schemas.
it.each(['shared/queue/index.ts', 'shared/errors.ts'])('%s loads the contract without zod', async (entry) => {
  const { files, packages } = await graph(entry);
  expect(files.filter((f) => f.startsWith('shared/contract/'))).toEqual(['shared/contract/constants.ts']);
  expect(packages).not.toContain('zod');
});
