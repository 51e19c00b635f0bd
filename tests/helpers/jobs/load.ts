import { sleep } from '../processes/cleanup.js';
import { submitImage, type SubmitAnswer } from './jobs.js';

export interface Answer extends SubmitAnswer {
  colour: string;
  /** Epoch ms when the request was sent and when its answer (or failure) came. */
  start: number;
  end: number;
}

/**
 * Submits images from `lanes` concurrent clients, one after another with `pauseMs` between, until stopped;
 * records every answer with its timing. Each request gives up after `timeoutMs` (status 0 then: a hang).
 */
export class SubmitLoad {
  readonly answers: Answer[] = [];
  private running = true;
  private readonly done: Promise<void>;

  constructor(apiUrl: string, images: Map<string, Buffer>, opts: { lanes?: number; pauseMs?: number; timeoutMs?: number } = {}) {
    const names = [...images.keys()];
    let n = 0;
    const lane = async () => {
      while (this.running) {
        const colour = names[n++ % names.length]!;
        const start = Date.now();
        const r = await submitImage(apiUrl, images.get(colour)!, opts.timeoutMs ?? 5_000);
        this.answers.push({ ...r, colour, start, end: Date.now() });
        await sleep(opts.pauseMs ?? 25);
      }
    };
    this.done = Promise.all(Array.from({ length: opts.lanes ?? 4 }, lane)).then(() => undefined);
  }

  async stop(): Promise<Answer[]> {
    this.running = false;
    await this.done;
    return this.answers;
  }

  accepted(): { id: string; colour: string }[] {
    return this.answers.filter((a) => a.status === 202).map((a) => ({ id: a.body.id as string, colour: a.colour }));
  }
}

/** Counts answers by status, e.g. `{202: 40, 503: 31}`. */
export function byStatus(answers: SubmitAnswer[]): Record<number, number> {
  const out: Record<number, number> = {};
  for (const a of answers) out[a.status] = (out[a.status] ?? 0) + 1;
  return out;
}
