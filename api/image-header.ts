import fs from 'node:fs/promises';
import sharp from 'sharp';
import { fileTypeFromBuffer } from 'file-type';
import { AppError } from '../shared/errors.js';
import { restrictDecoders } from '../shared/image-decoders.js';

restrictDecoders(sharp);

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
  if (await hasTrailingData(file, type.mime)) {
    throw new AppError('invalid_image', 422, 'the file carries data after the end of the image');
  }
  return { contentType: type.mime, width, height };
}

const PNG_END = Buffer.from([0, 0, 0, 0, 0x49, 0x45, 0x4e, 0x44, 0xae, 0x42, 0x60, 0x82]);
// Encoders and cameras may pad a JPEG after its end marker with a few zero or 0xFF bytes.
const JPEG_SLACK = 32;

/**
 * True when bytes follow the end of the image: a polyglot (image + ZIP/HTML/script) passes type sniffing and
 * decodes fine, but the bytes we would store and serve are not just an image.
 */
async function hasTrailingData(file: string, mime: string): Promise<boolean> {
  const fh = await fs.open(file, 'r');
  try {
    const { size } = await fh.stat();
    if (mime === 'image/webp') {
      const head = Buffer.alloc(8);
      await fh.read(head, 0, 8, 0);
      const riff = head.readUInt32LE(4) + 8;
      return size > riff + (riff % 2);
    }
    const n = Math.min(size, mime === 'image/png' ? PNG_END.length : JPEG_SLACK + 2);
    const tail = Buffer.alloc(n);
    await fh.read(tail, 0, n, size - n);
    if (mime === 'image/png') return !tail.equals(PNG_END);
    const eoi = tail.lastIndexOf(Buffer.from([0xff, 0xd9]));
    return eoi < 0 || tail.subarray(eoi + 2).some((b) => b !== 0 && b !== 0xff && b !== 0x0a && b !== 0x0d);
  } finally {
    await fh.close();
  }
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
