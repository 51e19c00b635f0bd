import { createHash } from 'node:crypto';
import { ModelSession } from './model-session.js';
import { preprocess } from './preprocess.js';
import { InvalidImageError } from './invalid-image-error.js';
import type { IsolatedReply, IsolatedRequest } from './isolated-run.js';

/**
 * A process of its own for one suspect job (one whose worker died while running it): if this image crashes
 * native code again, only this child dies, not the worker and the jobs it holds.
 */
process.once('message', async (req: IsolatedRequest) => {
  const reply = (r: IsolatedReply) => process.send!(r, () => process.exit(0));
  try {
    const bytes = Buffer.from(req.bytes);
    if (req.crashOnSha256 && createHash('sha256').update(bytes).digest('hex') === req.crashOnSha256) {
      process.kill(process.pid, 'SIGKILL'); // fault injection for tests (FAULT_CRASH_ON_SHA256)
    }
    const t0 = performance.now();
    const tensor = await preprocess(bytes, req.preprocessing, { maxPixels: req.maxPixels });
    const preprocessMs = performance.now() - t0;
    const session = await ModelSession.load(req.modelFile, req.inputName, req.outputName, req.itemDims, { threads: 1 });
    const t1 = performance.now();
    const scores = await session.run(tensor, 1);
    reply({ ok: true, scores: Array.from(scores), preprocessMs, inferenceMs: performance.now() - t1 });
  } catch (err) {
    const e = err as Error & { code?: string };
    reply({ ok: false, invalidImage: err instanceof InvalidImageError, code: e.code, message: e.message });
  }
});
