#!/usr/bin/env node
// The `inferq` command. Runs the built CLI (../cli/main.js) when there is one, else the TypeScript source through tsx,
// so `npx inferq` works in the repository without a build.
/* global process, URL */
import { existsSync } from 'node:fs';

const built = new URL('../cli/main.js', import.meta.url);
let cli;
if (existsSync(built)) {
  cli = await import(built.href);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  cli = await import(new URL('../cli/main.ts', import.meta.url).href);
}
process.exitCode = await cli.main(process.argv.slice(2));
