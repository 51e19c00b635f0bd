import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { read, root } from '../helpers/static/repo-files.js';

// Which dependencies run install scripts is declared once, in package.json's allowScripts (npm 11.16+). This
// keeps the declaration complete and the two scripts that must never run (a CUDA download from a host CI cannot
// reach, and install-time telemetry) denied, so a clean `npm ci` neither hangs offline nor warns.

interface LockPackage {
  version?: string;
  hasInstallScript?: boolean;
}
const pkg = JSON.parse(read('package.json')) as { allowScripts?: Record<string, boolean> };
const lock = JSON.parse(read('package-lock.json')) as { packages: Record<string, LockPackage> };
const allow = pkg.allowScripts ?? {};

/** `node_modules/a/node_modules/@s/b` → `@s/b`. */
const nameOf = (path: string): string => path.slice(path.lastIndexOf('node_modules/') + 'node_modules/'.length);
const withScripts = Object.entries(lock.packages)
  .filter(([path, p]) => path !== '' && p.hasInstallScript === true)
  .map(([path]) => nameOf(path));

describe('install scripts', () => {
  it('lets esbuild and sharp run theirs, never onnxruntime-node or @scarf/scarf', () => {
    expect(allow).toMatchObject({ esbuild: true, sharp: true, 'onnxruntime-node': false, '@scarf/scarf': false });
  });

  it('declares every locked package that has an install script, by name (the lockfile has no URLs to pin)', () => {
    expect(withScripts).toEqual(expect.arrayContaining(['esbuild', 'sharp', 'onnxruntime-node', '@scarf/scarf']));
    for (const name of withScripts) expect(Object.keys(allow), `${name} has an install script`).toContain(name);
    // Stale entries hide nothing but mislead the reader.
    for (const name of Object.keys(allow)) expect(withScripts, `allowScripts.${name}`).toContain(name);
  });

  it('makes an undeclared install script fail the install, and keeps no config key npm warns about', () => {
    const lines = read('.npmrc')
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l !== '' && !l.startsWith('#'));
    expect(lines).toContain('strict-allow-scripts=true');
    // npm 11 warns "Unknown project config" on every command for this one; allowScripts replaced it.
    expect(lines.filter((l) => l.startsWith('onnxruntime-node-install'))).toEqual([]);
  });

  it('is what npm itself reads: nothing installed here is left unreviewed', () => {
    const out = execFileSync('npm', ['install-scripts', 'ls'], { cwd: root, encoding: 'utf8', stdio: 'pipe' });
    expect(out).toMatch(/No packages with unreviewed install scripts/);
  });

  it('switches both scripts off in the Docker image too, whose npm 10 ignores allowScripts', () => {
    const dockerfile = read('Dockerfile');
    const firstCi = dockerfile.search(/\bnpm ci\b/);
    expect(firstCi).toBeGreaterThan(0);
    const before = dockerfile.slice(0, firstCi);
    expect(before).toMatch(/\bONNXRUNTIME_NODE_INSTALL=skip\b/);
    expect(before).toMatch(/\bSCARF_ANALYTICS=false\b/);
  });
});
