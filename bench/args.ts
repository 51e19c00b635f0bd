/** The value after `--name` on a bench script's command line (`--rounds 3`), or undefined when absent. */
export function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

/** The same as a number, or `dflt` when the flag is absent. */
export function numArg(name: string, dflt: number): number {
  const value = arg(name);
  return process.argv.includes(name) ? Number(value) : dflt;
}
