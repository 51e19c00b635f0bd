import { parentPort } from 'node:worker_threads';
import { ModelSession } from './model-session.js';
import type { ThreadRequest, ThreadReply } from './inference-protocol.js';

/**
 * Runs model sessions off the worker's main thread: onnxruntime's run() is synchronous native work that would
 * otherwise block the event loop for a whole batch (tens of ms), delaying lock renewals, heartbeats, metrics
 * and the decoding of the next batch.
 */
const sessions = new Map<string, ModelSession>();
const port = parentPort!;
const reply = (msg: ThreadReply, transfer: ArrayBuffer[] = []) => port.postMessage(msg, transfer);

port.on('message', async (msg: ThreadRequest) => {
  try {
    if (msg.type === 'load') {
      for (const m of msg.models) {
        const s = await ModelSession.load(m.file, m.inputName, m.outputName, m.itemDims, { threads: msg.threads });
        await s.warmUp(msg.warmBatch);
        sessions.set(m.name, s);
      }
      reply({ type: 'loaded', id: msg.id });
    } else if (msg.type === 'run') {
      const session = sessions.get(msg.model);
      if (!session) throw new Error(`model ${msg.model} is not loaded`);
      const t0 = performance.now();
      const out = await session.run(msg.data.subarray(0, msg.n * session.itemSize), msg.n);
      // Copy into a buffer we own so it can be transferred (onnxruntime's output may be a view on native memory).
      const copy = new Float32Array(out);
      const transfer = [copy.buffer as ArrayBuffer, msg.data.buffer as ArrayBuffer];
      reply({ type: 'result', id: msg.id, data: copy, input: msg.data, inferenceMs: performance.now() - t0 }, transfer);
    } else if (msg.type === 'close') {
      for (const s of sessions.values()) await s.close();
      sessions.clear();
      reply({ type: 'closed', id: msg.id });
    }
  } catch (err) {
    reply({ type: 'error', id: msg.id, message: err instanceof Error ? err.message : String(err) });
  }
});
