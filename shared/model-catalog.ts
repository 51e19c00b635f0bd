import { loadManifest, type ModelSpec } from './model-manifest.js';
import type { Config } from './config.js';

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
