import { z } from 'zod';
import { JobTimings } from './job.js';
import { LabelSetResult, Predictions, probabilities } from './prediction.js';
import { jobId, ModelRef, named, probability } from './registry.js';

/** `POST /predict`: the job's answer alone, also in the `{prediction, confidence, probabilities}` shape. */
export const PredictResult = named(
  'PredictResult',
  z
    .object({
      prediction: z.string().nullable().meta({ example: 'dog' }),
      confidence: probability.nullable().meta({ example: 0.93 }),
      probabilities,
      label_set: LabelSetResult.optional(),
      predictions: Predictions,
      model: ModelRef,
      job_id: jobId,
      timings: JobTimings.nullable(),
    })
    .meta({
      description:
        "Also in the `{prediction, confidence, probabilities}` shape of a plain model API: the label set's answer when `label_set` was sent, else the top-1 label and the top-k labels' probabilities.",
    }),
);
export type PredictResult = z.infer<typeof PredictResult>;
