import { loadConfigOrExit } from '../shared/config-or-exit.js';
import { loadManifest } from '../shared/model-manifest.js';
import { ensureModelFiles } from './fetch-models.js';

/**
 * `npm run fetch-models [name...]`: downloads (or copies from MODEL_MIRROR) the files of the served models, or
 * of the named ones, into MODELS_DIR, checking each sha256. The Docker build runs it so containers need no
 * network at start.
 */
const config = loadConfigOrExit('fetch-models');
const names = process.argv.slice(2).length ? process.argv.slice(2) : config.models.served;
try {
  await ensureModelFiles({
    manifest: loadManifest(config.models.manifest),
    names,
    modelsDir: config.models.dir,
    mirror: config.models.mirror,
    log: (msg) => console.log(msg),
  });
  console.log(`models ready in ${config.models.dir}: ${names.join(', ')}`);
} catch (err) {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
}
