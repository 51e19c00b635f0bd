import fs from 'node:fs/promises';
import path from 'node:path';

/** One evaluation photo: its bytes, its expected class, and a ready-made multipart body for uploads. */
export interface Photo {
  file: string;
  classIndex: number;
  bytes: Buffer;
}

export const SHARED_DIR = path.resolve(process.env.INFERQ_SHARED ?? '../shared');
export const EVAL_DIR = path.join(SHARED_DIR, 'eval/imagenet-sample');

/** The labelled photos of `../shared/eval/imagenet-sample`, read into memory once (≈ 30 MB). */
export async function loadPhotos(dir = EVAL_DIR): Promise<Photo[]> {
  const csv = await fs.readFile(path.join(dir, 'labels.csv'), 'utf8');
  const rows = csv.trim().split('\n').slice(1).map((l) => l.split(','));
  return Promise.all(
    rows.map(async ([file, cls]) => ({ file: file!, classIndex: Number(cls), bytes: await fs.readFile(path.join(dir, file!)) })),
  );
}

export const BOUNDARY = '----inferq-bench-7d1c3a';

/**
 * A multipart/form-data body with the photo as field `image`, built once per photo so the load generator spends
 * its CPU on sending, not on encoding (FormData per request costs the client ~0.3 ms of the same two cores).
 */
export function multipartBody(photo: Photo): Buffer {
  // cache=false: the bench resends the same photos to measure the model, which the result cache would skip.
  const noCache = `--${BOUNDARY}\r\nContent-Disposition: form-data; name="cache"\r\n\r\nfalse\r\n`;
  const head = `${noCache}--${BOUNDARY}\r\nContent-Disposition: form-data; name="image"; filename="${photo.file}"\r\nContent-Type: image/jpeg\r\n\r\n`;
  return Buffer.concat([Buffer.from(head), photo.bytes, Buffer.from(`\r\n--${BOUNDARY}--\r\n`)]);
}

/** Index of the largest value in `scores[from, from + n)`, relative to `from`. */
export function argmax(scores: ArrayLike<number>, from: number, n: number): number {
  let best = 0;
  for (let i = 1; i < n; i++) if (scores[from + i]! > scores[from + best]!) best = i;
  return best;
}
