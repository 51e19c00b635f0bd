import fs from 'node:fs/promises';
import sharp from 'sharp';
import { fileTypeFromBuffer } from 'file-type';
import { AppError } from '../shared/errors.js';

/** The only types accepted, decided by the bytes (never by the filename or the client's Content-Type). */
export const ACCEPTED_TYPES = new Set(['image/jpeg', 'image/png', 'image/webp']);

export interface ImageHeader {
  contentType: string;
  width: number;
  height: number;
}

/**
 * Checks an upload before anything is enqueued: its type by magic bytes (415 otherwise) and its header
 * (422 when unreadable or over the pixel limit). Reads the header only, so a decompression bomb is refused in
 * milliseconds without being decoded.
 */
export async function inspectImage(file: string, maxPixels: number): Promise<ImageHeader> {
  const head = await readHead(file, 4100);
  const type = await fileTypeFromBuffer(head);
  if (!type || !ACCEPTED_TYPES.has(type.mime)) {
    throw new AppError('unsupported_media_type', 415, `not a JPEG, PNG or WebP image${type ? ` (found ${type.mime})` : ''}`);
  }
  let meta: sharp.Metadata;
  try {
    meta = await sharp(file, { limitInputPixels: false }).metadata();
  } catch {
    throw new AppError('invalid_image', 422, 'the image header cannot be read');
  }
  const { width, height } = meta;
  if (!width || !height) throw new AppError('invalid_image', 422, 'the image has no dimensions');
  if (width * height > maxPixels) {
    throw new AppError('image_too_large', 422, `the image has ${width}×${height} pixels; the limit is ${maxPixels}`);
  }
  if ((meta.pages ?? 1) > 1) throw new AppError('invalid_image', 422, 'animated or multi-page images are not accepted');
  return { contentType: type.mime, width, height };
}

async function readHead(file: string, n: number): Promise<Uint8Array> {
  const fh = await fs.open(file, 'r');
  try {
    const buf = Buffer.alloc(n);
    const { bytesRead } = await fh.read(buf, 0, n, 0);
    return buf.subarray(0, bytesRead);
  } finally {
    await fh.close();
  }
}
