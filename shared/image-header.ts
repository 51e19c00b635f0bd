import sharp from 'sharp';
import { fileTypeFromBuffer } from 'file-type';
import { AppError } from './errors.js';
import { restrictDecoders } from './image-decoders.js';

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
 * milliseconds without being decoded. Works on the bytes in memory: sharp on a path opened the file 7 times and
 * stated it 9 times per upload.
 */
export async function inspectImage(bytes: Buffer, maxPixels: number): Promise<ImageHeader> {
  const type = await fileTypeFromBuffer(bytes.subarray(0, 4100));
  if (!type || !ACCEPTED_TYPES.has(type.mime)) {
    throw new AppError('unsupported_media_type', `not a JPEG, PNG or WebP image${type ? ` (found ${type.mime})` : ''}`);
  }
  let meta: sharp.Metadata;
  try {
    meta = await sharp(bytes, { limitInputPixels: false }).metadata();
  } catch {
    throw new AppError('invalid_image', 'the image header cannot be read');
  }
  const { width, height } = meta;
  if (!width || !height) throw new AppError('invalid_image', 'the image has no dimensions');
  if (width * height > maxPixels) {
    throw new AppError('image_too_large', `the image has ${width}×${height} pixels; the limit is ${maxPixels}`);
  }
  if ((meta.pages ?? 1) > 1) throw new AppError('invalid_image', 'animated or multi-page images are not accepted');
  if (hasTrailingData(bytes, type.mime)) {
    throw new AppError('invalid_image', 'the file carries data after the end of the image');
  }
  return { contentType: type.mime, width, height };
}

const PNG_END = Buffer.from([0, 0, 0, 0, 0x49, 0x45, 0x4e, 0x44, 0xae, 0x42, 0x60, 0x82]);
// Encoders and cameras may pad a JPEG after its end marker with a few zero or 0xFF bytes.
const JPEG_SLACK = 32;
const EOI = Buffer.from([0xff, 0xd9]);

/**
 * True when bytes follow the end of the image: a polyglot (image + ZIP/HTML/script) passes type sniffing and
 * decodes fine, but the bytes we would store and serve are not just an image.
 */
function hasTrailingData(bytes: Buffer, mime: string): boolean {
  const size = bytes.length;
  if (mime === 'image/webp') {
    const riff = bytes.readUInt32LE(4) + 8;
    return size > riff + (riff % 2);
  }
  const tail = bytes.subarray(size - Math.min(size, mime === 'image/png' ? PNG_END.length : JPEG_SLACK + 2));
  if (mime === 'image/png') return !tail.equals(PNG_END);
  const eoi = tail.lastIndexOf(EOI);
  return eoi < 0 || tail.subarray(eoi + 2).some((b) => b !== 0 && b !== 0xff && b !== 0x0a && b !== 0x0d);
}
