import { join } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { dockerIgnored, ignoreRules } from '../helpers/static/dockerignore.js';
import { read, root } from '../helpers/static/repo-files.js';

// .dockerignore, checked against what the build stage copies (see tests/helpers/static/repo-files.ts).

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
