import { ConfigError, loadConfig, type Config } from './config.js';

/**
 * For entry points: the config, or one JSON log line listing every bad key (secrets redacted) and exit 1,
 * instead of a stack trace.
 */
export function loadConfigOrExit(role: string): Readonly<Config> {
  try {
    return loadConfig();
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    process.stderr.write(JSON.stringify({ level: 60, time: new Date().toISOString(), role, msg: 'invalid configuration', problems: err.problems }) + '\n');
    process.exit(1);
  }
}
