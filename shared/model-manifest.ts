import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { compileLabelSet, labelSetsSchema, type LabelSetSpec } from './label-sets.js';

export type Layout = 'NCHW' | 'NHWC';
export type ChannelOrder = 'RGB' | 'BGR';

/** How one image becomes one item of the input tensor; getting any field wrong silently ruins accuracy. */
export interface Preprocessing {
  /** Shorter side after resizing, in pixels (e.g. 256). */
  resize: number;
  /** Side of the square centre crop taken after resizing, in pixels (e.g. 224); at most `resize`. */
  crop: number;
  channel_order: ChannelOrder;
  layout: Layout;
  /** Raw 0..255 values are multiplied by this first (e.g. 1/255). */
  scale: number;
  /** In tensor channel order; x' = (x*scale - mean)/std. */
  mean: [number, number, number];
  /** In tensor channel order; x' = (x*scale - mean)/std. */
  std: [number, number, number];
}

export interface ModelFileRef {
  /** Plain file name inside the models directory. */
  file: string;
  /** Lower-case hex sha256 of the exact bytes. */
  sha256: string;
  /** Public source to download from; without it only a mirror directory can provide the file. */
  url?: string;
}

export interface ModelSpec {
  name: string;
  version: string;
  task: 'classification';
  description?: string;
  license?: string;
  source?: string;
  model: ModelFileRef;
  labels: ModelFileRef;
  input_name: string;
  output_name: string;
  output: 'logits' | 'probabilities';
  num_classes: number;
  preprocessing: Preprocessing;
  /** Named groupings of the classes (set → group → class ids or "a-b" ranges); see shared/label-sets.ts. */
  label_sets?: Record<string, LabelSetSpec>;
}

export interface ModelManifest {
  models: ModelSpec[];
}

// A file name, not a path: the manifest must not be able to make the fetcher write outside the models dir.
const fileName = z
  .string()
  .regex(/^[A-Za-z0-9_][A-Za-z0-9._-]*$/, 'must be a plain file name (letters, digits, . _ -), not a path');

const fileRef = z.strictObject({
  file: fileName,
  sha256: z.string().regex(/^[0-9a-f]{64}$/, 'must be 64 lower-case hex digits'),
  url: z.url({ protocol: /^https?$/ }).optional(),
});

const positiveInt = z.number().int().positive();
const triple = z.tuple([z.number(), z.number(), z.number()]);

const preprocessing = z
  .strictObject({
    resize: positiveInt,
    crop: positiveInt,
    channel_order: z.enum(['RGB', 'BGR']),
    layout: z.enum(['NCHW', 'NHWC']),
    scale: z.number().positive(),
    mean: triple,
    std: z.tuple([z.number().positive(), z.number().positive(), z.number().positive()]),
  })
  .refine((p) => p.crop <= p.resize, {
    message: 'crop must not exceed resize',
    path: ['crop'],
    // Zod skips refinements once a sibling field failed; run it whenever both numbers are there, so one pass
    // reports every problem.
    when: ({ value }) => bothNumbers(value, 'crop', 'resize'),
  });

function bothNumbers(value: unknown, a: string, b: string): boolean {
  const v = value as Record<string, unknown> | null;
  return typeof v === 'object' && v !== null && typeof v[a] === 'number' && typeof v[b] === 'number';
}

const modelSpec = z.strictObject({
  name: z.string().regex(/^[a-z0-9][a-z0-9._-]*$/, 'must be lower-case letters, digits, . _ -'),
  version: z.string().min(1),
  task: z.literal('classification'),
  description: z.string().optional(),
  license: z.string().optional(),
  source: z.string().optional(),
  model: fileRef,
  labels: fileRef,
  input_name: z.string().min(1),
  output_name: z.string().min(1),
  output: z.enum(['logits', 'probabilities']),
  num_classes: positiveInt,
  preprocessing,
  label_sets: labelSetsSchema.optional(),
}).superRefine(
  (spec, ctx) => {
    // Every problem of every set at once: unknown class ids, overlapping groups, a group called "other".
    for (const [name, set] of Object.entries(spec.label_sets ?? {})) {
      for (const message of compileLabelSet(name, set, spec.num_classes).problems) {
        ctx.addIssue({ code: 'custom', message, path: ['label_sets', name] });
      }
    }
  },
  { when: ({ value }) => typeof (value as { num_classes?: unknown } | null)?.num_classes === 'number' && labelSetsSchema.optional().safeParse((value as { label_sets?: unknown }).label_sets).success },
);

export const modelManifestSchema: z.ZodType<ModelManifest> = z
  .strictObject({ models: z.array(modelSpec).min(1) })
  .superRefine(
    (manifest, ctx) => {
      // Typed as valid, but may run on invalid input (see `when`), so every access is defensive.
      const seen = new Set<string>();
      manifest.models.forEach((spec: Partial<ModelSpec> | null, i) => {
        const name = spec?.name;
        if (typeof name !== 'string') return;
        if (seen.has(name)) {
          ctx.addIssue({ code: 'custom', message: `duplicate model name "${name}"`, path: ['models', i, 'name'] });
        }
        seen.add(name);
      });
    },
    // Run even when other fields failed, so duplicates are reported together with everything else.
    { when: ({ value }) => Array.isArray((value as { models?: unknown } | null)?.models) },
  );

/** Validates already-parsed JSON; the error lists every problem, each with its path, so one edit fixes them all. */
export function parseManifest(data: unknown, origin = 'manifest'): ModelManifest {
  const result = modelManifestSchema.safeParse(data);
  if (result.success) return result.data;
  const lines = result.error.issues.map((issue) => {
    const path = issue.path.length > 0 ? issue.path.join('.') : '(root)';
    return `  - ${path}: ${issue.message}`;
  });
  throw new Error(`invalid model manifest ${origin} (${lines.length} problem(s)):\n${lines.join('\n')}`);
}

/** Reads and validates a manifest file; throws an Error naming the file and listing every problem. */
export function loadManifest(path: string): ModelManifest {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new Error(`cannot read model manifest ${path}: ${(err as Error).message}`, { cause: err });
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    throw new Error(`model manifest ${path} is not valid JSON: ${(err as Error).message}`, { cause: err });
  }
  return parseManifest(data, path);
}

export function findModel(manifest: ModelManifest, name: string): ModelSpec | undefined {
  return manifest.models.find((m) => m.name === name);
}
