import { z } from 'zod';
import { named } from './registry.js';

const layout = z.enum(['NCHW', 'NHWC']);

export const Preprocessing = named(
  'Preprocessing',
  z.object({
    resize: z.int().min(1).meta({ description: 'Shorter side after resizing, in pixels.' }),
    crop: z.int().min(1).meta({ description: 'Side of the square centre crop, in pixels.' }),
    channel_order: z.enum(['RGB', 'BGR']),
    layout,
    scale: z.number().meta({ description: 'Raw 0..255 values are multiplied by this first.' }),
    mean: z.array(z.number()).length(3),
    std: z.array(z.number()).length(3),
  }),
);

/** A label set as a model describes it: group → class ids or inclusive ranges "a-b". */
export const LabelSetDescription = z.object({
  name: z.string().meta({ example: 'cats-vs-dogs' }),
  classes: z.array(z.string()).meta({ example: ['cat', 'dog', 'other'] }),
  groups: z
    .record(z.string(), z.array(z.union([z.int(), z.string()])))
    .meta({ description: 'Group → class ids or inclusive ranges "a-b".', example: { cat: ['281-285'], dog: ['151-268'] } }),
});

export const Model = named(
  'Model',
  z.object({
    name: z.string().meta({ example: 'mobilenetv2' }),
    version: z.string().meta({ example: '12-int8' }),
    task: z.enum(['classification']),
    description: z.string().nullable(),
    default: z.boolean().meta({ description: 'True for the model used when a request names none.' }),
    input: z.object({
      name: z.string(),
      shape: z.array(z.int()).meta({ description: '-1 is the batch dimension.', example: [-1, 3, 224, 224] }),
      layout,
      dtype: z.enum(['float32']),
    }),
    output: z.object({ name: z.string(), kind: z.enum(['logits', 'probabilities']), num_classes: z.int().min(1) }),
    preprocessing: Preprocessing,
    labels_count: z.int().min(1),
    label_sets: z.array(LabelSetDescription).meta({ description: 'The groupings a request can ask for with `label_set`.' }),
    sha256: z.string().regex(/^[0-9a-f]{64}$/).meta({ description: 'Of the model file.' }),
    source: z.string().nullable(),
    license: z.string().nullable(),
    batching: z.object({
      max_batch_size: z.int().min(1),
      max_delay_ms: z.int().min(0).meta({ description: 'How long the oldest item may wait for a batch to fill.' }),
    }),
  }),
);
export type Model = z.infer<typeof Model>;

export const ModelList = named(
  'ModelList',
  z.object({ data: z.array(Model), default: z.string().meta({ description: 'Name of the default model.' }) }),
);
export type ModelList = z.infer<typeof ModelList>;

/** `GET /info`: the default model, plus `service`. */
export const Info = named('Info', Model.extend({ service: z.literal('inferq') }));
export type Info = z.infer<typeof Info>;
