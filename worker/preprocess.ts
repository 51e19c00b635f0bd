import sharp from 'sharp';
import type { Preprocessing } from '../shared/model-manifest.js';
import { InvalidImageError } from './invalid-image-error.js';
import { restrictDecoders } from '../shared/image-decoders.js';

restrictDecoders(sharp);

export { InvalidImageError } from './invalid-image-error.js';

export interface PreprocessOptions {
  /** Largest accepted width × height of the encoded image, in pixels. Default 40,000,000 (a 40 MP photo). */
  maxPixels?: number;
  /**
   * Largest accepted long side / short side. Default 20. Resizing the short side to `resize` scales the long side
   * by the same factor, so a 500-byte 1×20000 PNG would otherwise become a 4 GB raw buffer.
   */
  maxAspectRatio?: number;
  /**
   * The encoded image's dimensions, when the API has read them already (it checks every upload's header): the
   * bomb and aspect checks use them instead of a second header read (~0.8 ms per job in paired runs).
   */
  header?: { width: number; height: number };
}

/** Decoded, resized, 8-bit interleaved pixels as sharp's raw output gives them. */
export interface RawImage {
  data: Buffer;
  width: number;
  height: number;
  channels: number;
}

const DEFAULT_MAX_PIXELS = 40_000_000;
const DEFAULT_MAX_ASPECT_RATIO = 20;

/**
 * Bytes → one item's tensor (length 3·crop·crop) in `p.layout` and `p.channel_order`.
 * Throws InvalidImageError for anything that is not a usable JPEG, PNG or WebP.
 */
export async function preprocess(bytes: Buffer, p: Preprocessing, opts: PreprocessOptions = {}): Promise<Float32Array> {
  const raw = await decodeResized(bytes, p, opts);
  const tensor = new Float32Array(3 * p.crop * p.crop);
  writeTensor(raw, p, tensor, 0);
  return tensor;
}

/** Decodes and resizes the shorter side to `p.resize`; the crop happens later, in writeTensor. */
export async function decodeResized(bytes: Buffer, p: Preprocessing, opts: PreprocessOptions = {}): Promise<RawImage> {
  const maxPixels = opts.maxPixels ?? DEFAULT_MAX_PIXELS;
  const input: sharp.SharpOptions = {
    // A truncated upload is an error, not a grey-bottomed photo that still gets a confident answer.
    failOn: 'truncated',
    limitInputPixels: maxPixels,
    // PIL-based training pipelines ignore embedded profiles; converting costs 2–2.5 ms and changes ~1 % of
    // top-1 answers (PERFORMANCE.md).
    ignoreIcc: true,
  };
  if (sniffFormat(bytes) === undefined) {
    // Checked before sharp sees the bytes, so the SVG/PDF/TIFF/... loaders are never reachable from here.
    throw new InvalidImageError('image is not JPEG, PNG or WebP');
  }
  const maxAspect = opts.maxAspectRatio ?? DEFAULT_MAX_ASPECT_RATIO;
  // sharp's limitInputPixels still refuses a header that lies bigger than `opts.header` says.
  if (opts.header) checkSize(opts.header.width, opts.header.height, maxPixels, maxAspect);
  else await checkDimensions(bytes, input, maxPixels, maxAspect);
  try {
    // One decoding pass with the crop left to writeTensor: resize-then-extract passes measured ~25 % slower.
    const { data, info } = await sharp(bytes, input)
      .autoOrient()
      .resize(p.resize, p.resize, { fit: 'outside' })
      .removeAlpha()
      .toColourspace('srgb')
      .raw({ depth: 'uchar' })
      .toBuffer({ resolveWithObject: true });
    return { data, width: info.width, height: info.height, channels: info.channels };
  } catch (err) {
    // A header the API read that understated the image (sharp's limitInputPixels refused it): its real size
    // says so, as image_too_large; any other failure is an invalid image.
    if (opts.header) await checkDimensions(bytes, input, maxPixels, maxAspect);
    throw toInvalidImage(err);
  }
}

// Header only, no pixel decode (≈ 0.6 ms CPU, ~4 % of preprocessing): a decompression bomb or a 1×20000 sliver is
// refused before sharp allocates anything for it.
async function checkDimensions(bytes: Buffer, input: sharp.SharpOptions, maxPixels: number, maxAspect: number) {
  let width: number;
  let height: number;
  try {
    // sharp's own pixel limit would refuse here too, but without saying how big the image is.
    ({ width, height } = await sharp(bytes, { ...input, limitInputPixels: false }).metadata());
  } catch (err) {
    throw toInvalidImage(err);
  }
  checkSize(width, height, maxPixels, maxAspect);
}

function checkSize(width: number, height: number, maxPixels: number, maxAspect: number) {
  if (!(width > 0 && height > 0)) throw new InvalidImageError('image has no dimensions');
  if (width * height > maxPixels) {
    throw new InvalidImageError(`image is ${width}×${height}, over the limit of ${maxPixels} pixels`, {
      code: 'image_too_large',
    });
  }
  if (Math.max(width, height) / Math.min(width, height) > maxAspect) {
    throw new InvalidImageError(`image is ${width}×${height}, more elongated than ${maxAspect}:1`, {
      code: 'image_too_large',
    });
  }
}

function sniffFormat(b: Buffer): 'jpeg' | 'png' | 'webp' | undefined {
  if (b.length >= 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff) return 'jpeg';
  if (b.length >= 8 && b.readUInt32BE(0) === 0x89504e47 && b.readUInt32BE(4) === 0x0d0a1a0a) return 'png';
  if (b.length >= 12 && b.toString('latin1', 0, 4) === 'RIFF' && b.toString('latin1', 8, 12) === 'WEBP') return 'webp';
  return undefined;
}

function toInvalidImage(err: unknown): InvalidImageError {
  const message = err instanceof Error ? err.message : String(err);
  return new InvalidImageError(`cannot decode image: ${message}`, { cause: err });
}

/** Python's round(): halves go to the even neighbour, as in torchvision's center_crop. */
export function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

// (v*scale - mean)/std for every 8-bit v, per tensor channel: a lookup instead of the arithmetic per value
// (PERFORMANCE.md: ≈ 0.2 ms vs 1.2 ms per image). Cached per Preprocessing object, which lives as long as its manifest.
const lutCache = new WeakMap<Preprocessing, [Float32Array, Float32Array, Float32Array]>();

function lookupTables(p: Preprocessing): [Float32Array, Float32Array, Float32Array] {
  let luts = lutCache.get(p);
  if (luts === undefined) {
    const make = (c: 0 | 1 | 2) => Float32Array.from({ length: 256 }, (_, v) => (v * p.scale - p.mean[c]) / p.std[c]);
    luts = [make(0), make(1), make(2)];
    lutCache.set(p, luts);
  }
  return luts;
}

/**
 * Centre-crops `raw` to p.crop × p.crop and writes the normalised values into `target` from `offset`, so a batch
 * tensor can be filled in place without an intermediate copy.
 */
export function writeTensor(raw: RawImage, p: Preprocessing, target: Float32Array, offset: number): void {
  const { data, width, height, channels } = raw;
  const crop = p.crop;
  if (channels < 3) throw new RangeError(`expected at least 3 channels, got ${channels}`);
  if (width < crop || height < crop) throw new RangeError(`image ${width}×${height} is smaller than crop ${crop}`);
  if (offset < 0 || offset + 3 * crop * crop > target.length) {
    throw new RangeError(`offset ${offset} + ${3 * crop * crop} values overflows target of ${target.length}`);
  }
  const x0 = roundHalfEven((width - crop) / 2);
  const y0 = roundHalfEven((height - crop) / 2);
  const [l0, l1, l2] = lookupTables(p);
  // Source channel feeding tensor channels 0 and 2 (channel 1 is G either way).
  const s0 = p.channel_order === 'BGR' ? 2 : 0;
  const s2 = 2 - s0;
  const src = { data, width, channels, x0, y0, crop, s0, s2 };
  if (p.layout === 'NCHW') writePlanar(src, l0, l1, l2, target, offset);
  else writeInterleaved(src, l0, l1, l2, target, offset);
}

interface CropSource {
  data: Buffer;
  width: number;
  channels: number;
  x0: number;
  y0: number;
  crop: number;
  s0: number;
  s2: number;
}

// One loop per layout keeps the per-pixel work to three lookups and three stores, with no branch.
type Lut = Float32Array;

function writePlanar(c: CropSource, l0: Lut, l1: Lut, l2: Lut, t: Float32Array, o: number) {
  const { data, width, channels, x0, y0, crop, s0, s2 } = c;
  const plane = crop * crop;
  for (let y = 0; y < crop; y++) {
    let i = ((y0 + y) * width + x0) * channels;
    for (const end = o + crop; o < end; o++, i += channels) {
      t[o] = l0[data[i + s0]!]!;
      t[o + plane] = l1[data[i + 1]!]!;
      t[o + 2 * plane] = l2[data[i + s2]!]!;
    }
  }
}

function writeInterleaved(c: CropSource, l0: Lut, l1: Lut, l2: Lut, t: Float32Array, o: number) {
  const { data, width, channels, x0, y0, crop, s0, s2 } = c;
  for (let y = 0; y < crop; y++) {
    let i = ((y0 + y) * width + x0) * channels;
    for (const end = o + 3 * crop; o < end; o += 3, i += channels) {
      t[o] = l0[data[i + s0]!]!;
      t[o + 1] = l1[data[i + 1]!]!;
      t[o + 2] = l2[data[i + s2]!]!;
    }
  }
}
