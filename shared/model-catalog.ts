import { loadManifest, type ModelSpec } from './model-manifest.js';
import { compileLabelSet, type LabelSet } from './label-sets.js';
import type { Config } from './config.js';
import { AppError } from './errors.js';

/** The models this deployment serves: the manifest's entries named by MODELS (and DEFAULT_MODEL). */
export class ModelCatalog {
  private readonly byName: Map<string, ModelSpec>;

  constructor(
    specs: ModelSpec[],
    readonly defaultName: string,
  ) {
    this.byName = new Map(specs.map((s) => [s.name, s]));
    if (!this.byName.has(defaultName)) throw new Error(`DEFAULT_MODEL ${defaultName} is not among the served models`);
  }

  static fromConfig(config: Pick<Config, 'models'>): ModelCatalog {
    const manifest = loadManifest(config.models.manifest);
    const specs = config.models.served.map((name) => {
      const spec = manifest.models.find((m) => m.name === name);
      if (!spec) {
        const known = manifest.models.map((m) => m.name).join(', ');
        throw new Error(`model ${name} is not in ${config.models.manifest} (known: ${known})`);
      }
      return spec;
    });
    return new ModelCatalog(specs, config.models.default);
  }

  get(name: string): ModelSpec | undefined {
    return this.byName.get(name);
  }

  get default(): ModelSpec {
    return this.byName.get(this.defaultName)!;
  }

  list(): ModelSpec[] {
    return [...this.byName.values()];
  }
}

const compiled = new WeakMap<ModelSpec, Map<string, LabelSet>>();

/** A model's label set by name, compiled once per spec; undefined when the model has no such set. */
export function labelSetOf(spec: ModelSpec, name: string): LabelSet | undefined {
  let sets = compiled.get(spec);
  if (!sets) {
    sets = new Map();
    for (const [n, s] of Object.entries(spec.label_sets ?? {})) {
      // The manifest was validated at load, so a set compiles; a problem here is a bug, not bad input.
      const { set, problems } = compileLabelSet(n, s, spec.num_classes);
      if (!set) throw new Error(problems.join('; '));
      sets.set(n, set);
    }
    compiled.set(spec, sets);
  }
  return sets.get(name);
}

/** Checks a requested label set against the model at submit time: 400 unknown_label_set, naming the known ones. */
export function requireLabelSet(spec: ModelSpec, name: string | null): void {
  if (name === null || labelSetOf(spec, name)) return;
  const known = Object.keys(spec.label_sets ?? {});
  const has = known.length > 0 ? `it has ${known.join(', ')}` : 'it has none';
  throw new AppError('unknown_label_set', `model ${spec.name} has no label set ${JSON.stringify(name)}; ${has}`);
}
