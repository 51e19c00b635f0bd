import type { Response } from 'express';

/**
 * Writes a streamed body at the client's pace: waits for `drain` when the socket's buffer is full, and stops
 * reading (returns the generator) once the client has gone.
 */
export async function writeChunks(res: Response, chunks: AsyncGenerator<string>): Promise<void> {
  for await (const chunk of chunks) {
    if (!res.write(chunk)) {
      await new Promise<void>((resolve) => {
        res.once('drain', resolve);
        res.once('close', resolve);
      });
    }
    if (res.destroyed) break;
  }
  res.end();
}
