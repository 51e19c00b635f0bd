import { join, relative } from 'node:path';
import ts from 'typescript';
import { root, toPosix } from './repo-files.js';

/** Maps each file tsconfig.build.json emits (`dist/api/main.js`) to its source, as tsc resolves the config. */
export function buildOutputs(): Map<string, string> {
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

/** The scripts a shell command runs with `node [--flags] path.js`. */
export function nodeScripts(command: string): string[] {
  return [...command.matchAll(/\bnode\s+(?:--\S+\s+)*(\S+\.m?js)\b/g)].map((m) => m[1] ?? '');
}
