/**
 * The command line, parsed by commander (options anywhere, global options before or after the command, "did you
 * mean" for mistyped commands and options), and the help texts, written from each command's declaration.
 */
import { Command as Program, CommanderError, Option } from 'commander';
import { CLIENT_VERSION } from '../inferq-client.js';
import { COMMANDS, COMMAND_NAMES } from './commands/index.js';
import { UsageError } from './errors.js';
import { GLOBAL_OPTIONS, type OptSpec, type OptionValues } from './options.js';

export interface ParsedCli {
  /** A command name, `help` (general help) or `version`. */
  command: string;
  values: OptionValues;
  positionals: string[];
  /** Show the help of `command` instead of running it. */
  help: boolean;
}

/** Commander without its own help, output or process.exit: errors come back as CommanderError. */
function quiet(cmd: Program, options: Record<string, OptSpec>): Program {
  for (const [name, o] of Object.entries(options)) {
    const flags = `${o.short ? `-${o.short}, ` : ''}--${name}${o.type === 'string' ? ` <${o.arg ?? 'value'}>` : ''}`;
    cmd.addOption(new Option(flags, o.help));
  }
  return cmd
    .helpOption(false)
    .exitOverride()
    .configureOutput({ writeOut: () => undefined, writeErr: () => undefined, outputError: () => undefined });
}

/** The options given on `cmd`, keyed by their long names (`top-k`, not commander's `topK`). */
function valuesOf(cmd: Program): OptionValues {
  const values: OptionValues = {};
  for (const o of cmd.options) {
    const v: unknown = cmd.getOptionValue(o.attributeName());
    if (v !== undefined && o.long) values[o.long.slice(2)] = v as string | boolean;
  }
  return values;
}

/** Commander's message in the CLI's words: no "error: " prefix, the suggestion inline. */
function usageMessage(err: CommanderError, unknownName: string | undefined): string {
  const suggestion = /\(Did you mean (?:one of )?([^,?]+)/.exec(err.message)?.[1];
  if (err.code === 'commander.unknownCommand') {
    return `unknown command ${JSON.stringify(unknownName)}${suggestion ? ` (did you mean "${suggestion}"?)` : ''}`;
  }
  // Capitalised as node's parseArgs worded them before ("Unknown option '--x'").
  const head = err.message.replace(/^error: /, '').split('\n')[0]!;
  return `${head[0]!.toUpperCase()}${head.slice(1)}${suggestion ? ` (did you mean "${suggestion}"?)` : ''}`;
}

/**
 * Splits argv into the command, its options (global options may come before or after the command) and its
 * positionals. Throws `UsageError` for unknown commands and options, missing values and wrong positional counts.
 */
export function parseCli(argv: readonly string[]): ParsedCli {
  let parsed: ParsedCli | null = null;
  let current: string | undefined;
  const program = quiet(new Program('inferq'), GLOBAL_OPTIONS).helpCommand(false);
  program.hook('preSubcommand', (_cmd, sub) => void (current = sub.name()));
  for (const name of COMMAND_NAMES) {
    const sub = quiet(new Program(name), { ...GLOBAL_OPTIONS, ...COMMANDS[name]!.spec.options }).argument('[args...]');
    sub.action((args: string[]) => void (parsed = { command: name, values: { ...valuesOf(program), ...valuesOf(sub) }, positionals: args, help: false }));
    program.addCommand(sub);
  }
  const help = quiet(new Program('help'), {}).allowUnknownOption().argument('[topic]').argument('[rest...]');
  help.action((topic: string | undefined) => {
    if (topic !== undefined && !COMMANDS[topic]) throw new UsageError(`unknown command ${JSON.stringify(topic)}`);
    parsed = { command: topic ?? 'help', values: {}, positionals: [], help: true };
  });
  const version = quiet(new Program('version'), {}).allowUnknownOption().argument('[rest...]');
  version.action(() => void (parsed = { command: 'version', values: {}, positionals: [], help: false }));
  program.addCommand(help).addCommand(version);

  try {
    program.parse([...argv], { from: 'user' });
  } catch (err) {
    if (!(err instanceof CommanderError)) throw err;
    if (err.code !== 'commander.help') throw new UsageError(usageMessage(err, program.args[0]), current ?? argv.find((a) => COMMANDS[a] !== undefined));
    // No command: the general help, or the version.
    const values = valuesOf(program);
    return { command: values.version ? 'version' : 'help', values, positionals: [], help: !values.version };
  }
  return checkPositionals(parsed!);
}

function checkPositionals(p: ParsedCli): ParsedCli {
  const spec = COMMANDS[p.command]?.spec;
  if (!spec || p.help) return p;
  if (p.values.help) return { ...p, help: true };
  if (p.values.version) return { ...p, command: 'version', positionals: [] };
  if (p.positionals.length < spec.positionals.min) throw new UsageError(spec.positionals.missing ?? 'missing argument', p.command);
  if (p.positionals.length > spec.positionals.max) {
    throw new UsageError(`unexpected argument ${JSON.stringify(p.positionals[spec.positionals.max])}`, p.command);
  }
  return p;
}

function wrapOptions(options: Record<string, OptSpec>): string[] {
  const rows = Object.entries(options).map(([name, o]) => {
    const flag = `${o.short ? `-${o.short}, ` : '    '}--${name}${o.arg ? ` ${o.arg}` : ''}`;
    return [flag, o.help] as const;
  });
  const width = Math.max(...rows.map((r) => r[0].length));
  return rows.map(([f, h]) => `  ${f.padEnd(width)}  ${h}`);
}

/** The help text of one command, or the general help (`command` undefined or `help`). */
export function helpText(command?: string): string {
  const spec = command ? COMMANDS[command]?.spec : undefined;
  if (!spec) {
    const width = Math.max(...COMMAND_NAMES.map((c) => c.length));
    return [
      `inferq ${CLIENT_VERSION}: the command line of the inferq image-classification API`,
      '',
      'Usage: inferq COMMAND [options]',
      '',
      'Commands:',
      ...COMMAND_NAMES.map((c) => `  ${c.padEnd(width)}  ${COMMANDS[c]!.spec.summary}`),
      '',
      'Global options:',
      ...wrapOptions(GLOBAL_OPTIONS),
      '',
      "Run 'inferq COMMAND --help' for a command's options. Docs: docs/cli.md",
      '',
    ].join('\n');
  }
  return [
    `Usage: ${spec.usage}`,
    '',
    spec.summary[0]!.toUpperCase() + spec.summary.slice(1) + '.',
    ...(spec.details ? ['', spec.details] : []),
    '',
    'Options:',
    ...wrapOptions({ ...spec.options, ...GLOBAL_OPTIONS }),
    '',
    'Examples:',
    ...spec.examples.map((e) => `  ${e}`),
    '',
  ].join('\n');
}
