import { Router } from 'express';
import type { ModelSpec } from '../../shared/model-manifest.js';
import type { ModelCatalog } from '../../shared/model-catalog.js';
import { notFound } from '../../shared/errors.js';
import { OTHER } from '../../shared/label-sets.js';
import type { Model } from '../../shared/contract/model.js';

export interface ModelsRoutesDeps {
  models: ModelCatalog;
  /** How the workers batch (BATCH_MAX_SIZE, BATCH_MAX_DELAY_MS), shown with each model. */
  batching: { max_batch_size: number; max_delay_ms: number };
}

/** A model as the contract shows it (shared/contract/model.ts): the type keeps this view from drifting. */
function describe(deps: ModelsRoutesDeps, m: ModelSpec): Model {
  const p = m.preprocessing;
  return {
    name: m.name,
    version: m.version,
    task: m.task,
    description: m.description ?? null,
    default: m.name === deps.models.defaultName,
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
    batching: deps.batching,
  };
}

export function modelsRouter(deps: ModelsRoutesDeps): Router {
  const r = Router();
  r.get('/v1/models', (_req, res) => {
    res.json({ data: deps.models.list().map((m) => describe(deps, m)), default: deps.models.defaultName });
  });
  r.get('/v1/models/:name', (req, res) => {
    const m = deps.models.get(req.params.name);
    if (!m) throw notFound(`unknown model ${JSON.stringify(req.params.name)}`, 'unknown_model');
    res.json(describe(deps, m));
  });
  // The origin projects' metadata endpoint: the default model.
  r.get('/info', (_req, res) => {
    res.json({ ...describe(deps, deps.models.default), service: 'inferq' });
  });
  return r;
}
