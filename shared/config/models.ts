import path from 'node:path';
import { z } from 'zod';
import { list, type Parsed } from './fields.js';

/** Which models exist, where their files are kept, and which ones the workers serve. */
export const modelsEnv = {
  /** Model descriptions (file, sha256, URL, preprocessing); default `models/manifest.json`. */
  MODEL_MANIFEST: z.string().default('models/manifest.json'),
  /** Where model files are fetched to; default `models/cache`. */
  MODELS_DIR: z.string().default('models/cache'),
  /** A local folder to take model files from instead of their URLs (CI and air-gapped installs). */
  MODEL_MIRROR: z.string().optional(),
  /** The model used when a request names none; default `mobilenetv2`. */
  DEFAULT_MODEL: z.string().default('mobilenetv2'),
  /** Models the worker loads (a comma list); defaults to the default model alone, which is always served. */
  MODELS: list,
};

export interface ModelsSettings {
  models: { manifest: string; dir: string; mirror?: string; default: string; served: string[] };
}

export function modelsSettings(e: Parsed<typeof modelsEnv>): ModelsSettings {
  const served = e.MODELS.length ? e.MODELS : [e.DEFAULT_MODEL];
  if (!served.includes(e.DEFAULT_MODEL)) served.unshift(e.DEFAULT_MODEL);
  return {
    models: {
      manifest: path.resolve(e.MODEL_MANIFEST),
      dir: path.resolve(e.MODELS_DIR),
      mirror: e.MODEL_MIRROR ? path.resolve(e.MODEL_MIRROR) : undefined,
      default: e.DEFAULT_MODEL,
      served,
    },
  };
}
