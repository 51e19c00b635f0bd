import { z } from 'zod';
import { named, probability } from './registry.js';

export const Prediction = named(
  'Prediction',
  z.object({
    label: z.string().meta({ example: 'malamute', description: 'The class label (the class id as a string when the labels file has none).' }),
    class_id: z.int().min(0).meta({ example: 249 }),
    confidence: probability.meta({ example: 0.766, description: 'Probability (softmax applied where the model gives logits).' }),
  }),
);
export type Prediction = z.infer<typeof Prediction>;

export const Predictions = named(
  'Predictions',
  z.array(Prediction).meta({ description: 'Sorted by confidence, descending (ties: lower class id first); at most `top_k` entries.' }),
);

const probabilities = z.record(z.string(), probability).meta({ example: { cat: 0.01, dog: 0.93, other: 0.06 } });

export const LabelSetResult = named(
  'LabelSetResult',
  z
    .object({
      name: z.string().meta({ example: 'cats-vs-dogs' }),
      prediction: z.string().meta({ example: 'dog' }),
      confidence: probability.meta({ example: 0.93 }),
      probabilities,
    })
    .meta({ description: "The answer in a label set's classes: probabilities summed over each group's member classes; every other class counts as `other`." }),
);
export type LabelSetResult = z.infer<typeof LabelSetResult>;
export { probabilities };
