/** `inferq models [NAME]`: the served models as a table, or one model in detail. */
import type { Model } from '../../types.js';
import type { Command, Ctx } from '../context.js';
import { EXIT } from '../errors.js';
import { table } from '../format.js';

function describeModel(m: Model): string {
  const p = m.preprocessing;
  const rows = [
    ['version', m.version],
    ['default', m.default ? 'yes' : 'no'],
    ['task', m.task],
    ['description', m.description ?? '-'],
    ['input', `${m.input.name} ${m.input.dtype} ${m.input.layout} [${m.input.shape.join(', ')}]`],
    ['output', `${m.output.name} ${m.output.kind}, ${m.output.num_classes} classes`],
    ['preprocessing', `resize ${p.resize}, crop ${p.crop}, ${p.channel_order}, scale ${p.scale}, mean [${p.mean.join(', ')}], std [${p.std.join(', ')}]`],
    ['batching', `max ${m.batching.max_batch_size} images, max delay ${m.batching.max_delay_ms} ms`],
    ['sha256', m.sha256],
    ['source', m.source ?? '-'],
    ['license', m.license ?? '-'],
  ];
  return `${m.name}\n${table(rows.map((r) => ['  ' + r[0]!, r[1]!]))}\n`;
}

async function run(ctx: Ctx, _values: unknown, [name]: string[]): Promise<number> {
  if (name !== undefined) {
    const m = await ctx.client.getModel(name, { signal: ctx.signal });
    ctx.out(ctx.json ? JSON.stringify(m, null, 2) + '\n' : describeModel(m));
    return EXIT.ok;
  }
  const list = await ctx.client.listModels({ signal: ctx.signal });
  if (ctx.json) {
    ctx.out(JSON.stringify(list, null, 2) + '\n');
    return EXIT.ok;
  }
  const rows = [['NAME', 'VERSION', 'DEFAULT', 'CLASSES', 'INPUT', 'BATCHING', 'DESCRIPTION']];
  for (const m of list.data) {
    rows.push([
      m.name,
      m.version,
      m.default ? 'yes' : '',
      String(m.labels_count),
      `${m.input.layout} ${m.input.shape.join('x')}`,
      `${m.batching.max_batch_size} / ${m.batching.max_delay_ms} ms`,
      m.description ?? '',
    ]);
  }
  ctx.out(table(rows) + '\n');
  return EXIT.ok;
}

export const models: Command = {
  run,
  spec: {
    name: 'models',
    summary: 'list the served models',
    usage: 'inferq models [NAME]',
    options: {},
    positionals: { min: 0, max: 1 },
    examples: ['inferq models', 'inferq models mobilenetv2 --json'],
  },
};
