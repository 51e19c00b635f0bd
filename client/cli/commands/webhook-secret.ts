/** `inferq webhook-secret`: the webhook signing secret, for operators holding the admin token. */
import type { Command, Ctx } from '../context.js';
import { EXIT, UsageError } from '../errors.js';
import { str, type OptionValues } from '../options.js';

async function run(ctx: Ctx, values: OptionValues): Promise<number> {
  const token = str(values, 'admin-token') ?? ctx.env.INFERQ_ADMIN_TOKEN;
  if (!token) throw new UsageError('give the admin token with --admin-token or INFERQ_ADMIN_TOKEN', 'webhook-secret');
  const s = await ctx.client.webhookSecret(token, { signal: ctx.signal });
  ctx.out(ctx.json ? JSON.stringify(s) + '\n' : `${s.secret}\n`);
  return EXIT.ok;
}

export const webhookSecret: Command = {
  run,
  spec: {
    name: 'webhook-secret',
    summary: 'print the webhook signing secret (operators: needs the admin token)',
    usage: 'inferq webhook-secret --admin-token TOKEN',
    options: {
      'admin-token': { type: 'string', arg: 'TOKEN', help: 'the ADMIN_TOKEN of the server (env INFERQ_ADMIN_TOKEN)' },
    },
    positionals: { min: 0, max: 0 },
    examples: ['INFERQ_ADMIN_TOKEN=... inferq webhook-secret'],
  },
};
