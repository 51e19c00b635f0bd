/** Every command of the CLI, in the order `inferq --help` lists them. */
import type { Command } from '../context.js';
import { batch } from './batch/index.js';
import { cancel } from './cancel.js';
import { evalCommand } from './eval/index.js';
import { models } from './models.js';
import { status } from './status.js';
import { submit } from './submit.js';
import { webhookSecret } from './webhook-secret.js';

export const COMMANDS: Record<string, Command> = Object.fromEntries(
  [submit, status, cancel, models, batch, evalCommand, webhookSecret].map((c) => [c.spec.name, c]),
);

export const COMMAND_NAMES = Object.keys(COMMANDS);
