import { Router } from 'express';
import type { ApiContext } from '../context.js';
import type { ModelSpec } from '../../shared/model-manifest.js';
import { notFound } from '../../shared/errors.js';
import { OTHER } from '../../shared/label-sets.js';

function describe(ctx: ApiContext, m: ModelSpec) {
  const p = m.preprocessing;
  return {
    name: m.name,
    version: m.version,
    task: m.task,
    description: m.description ?? null,
    default: m.name === ctx.models.defaultName,
    input: {
      name: m.input_name,
      shape: p.layout === 'NCHW' ? [-1, 3, p.crop, p.crop] : [-1, p.crop, p.crop, 3],
      layout: p.layout,
      dtype: 'float32',
    },
    output: { name: m.output_name, kind: m.output, num_classes: m.num_classes },
    preprocessing: p,
    labels_count: m.num_classes,
    // What `label_set=<name>` answers in: the groups (with their class ids) and the implicit `other`.
    label_sets: Object.entries(m.label_sets ?? {}).map(([name, groups]) => ({ name, classes: [...Object.keys(groups), OTHER], groups })),
    sha256: m.model.sha256,
    source: m.source ?? null,
    license: m.license ?? null,
    batching: { max_batch_size: ctx.config.batch.maxSize, max_delay_ms: ctx.config.batch.maxDelayMs },
  };
}

export function modelsRouter(ctx: ApiContext): Router {
  const r = Router();
  r.get('/v1/models', (_req, res) => {
    res.json({ data: ctx.models.list().map((m) => describe(ctx, m)), default: ctx.models.defaultName });
  });
  r.get('/v1/models/:name', (req, res) => {
    const m = ctx.models.get(req.params.name);
    if (!m) throw notFound(`unknown model ${JSON.stringify(req.params.name)}`, 'unknown_model');
    res.json(describe(ctx, m));
  });
  // The origin projects' metadata endpoint: the default model.
  r.get('/info', (_req, res) => {
    res.json({ ...describe(ctx, ctx.models.default), service: 'inferq' });
  });
  return r;
}
