import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import type { Preprocessing } from '../../shared/model-manifest.js';
import { solidImage } from '../helpers/model/tiny-model.js';
import {
  InvalidImageError,
  decodeResized,
  type PreprocessOptions,
  preprocess,
  roundHalfEven,
  writeTensor,
} from '../../worker/preprocess.js';

// resize equal to the shorter side leaves the pixels untouched, so every tensor value can be worked out by hand.
const small: Preprocessing = {
  resize: 4,
  crop: 2,
  channel_order: 'RGB',
  layout: 'NCHW',
  scale: 1,
  mean: [10, 20, 30],
  std: [2, 4, 5],
};

/** 4 wide × 7 high; pixel (x, y) = (10x + y, 100 + 10x + y, 150 + x + 10y). */
function knownPixels(): Buffer {
  const data = Buffer.alloc(4 * 7 * 3);
  for (let y = 0; y < 7; y++) {
    for (let x = 0; x < 4; x++) data.set([10 * x + y, 100 + 10 * x + y, 150 + x + 10 * y], (y * 4 + x) * 3);
  }
  return data;
}

const knownPng = () => sharp(knownPixels(), { raw: { width: 4, height: 7, channels: 3 } }).png().toBuffer();
const f32 = (values: number[]) => Array.from(Float32Array.from(values));

describe('preprocess', () => {
  // Crop offsets: x0 = round(1) = 1; y0 = round(2.5) = 2 (half to even; half-up would take rows 3..4).
  // Cropped pixels, row by row: (1,2) = 12,112,171  (2,2) = 22,122,172  (1,3) = 13,113,181  (2,3) = 23,123,182.
  it('gives the hand-computed NCHW tensor, cropping with round-half-to-even', async () => {
    const tensor = await preprocess(await knownPng(), small);
    expect(Array.from(tensor)).toEqual(
      f32([
        ...[1, 6, 1.5, 6.5], // (r - 10) / 2
        ...[23, 25.5, 23.25, 25.75], // (g - 20) / 4
        ...[28.2, 28.4, 30.2, 30.4], // (b - 30) / 5
      ]),
    );
  });

  it('interleaves channels per pixel for NHWC', async () => {
    const tensor = await preprocess(await knownPng(), { ...small, layout: 'NHWC' });
    expect(Array.from(tensor)).toEqual(
      f32([1, 23, 28.2, 6, 25.5, 28.4, 1.5, 23.25, 30.2, 6.5, 25.75, 30.4]),
    );
  });

  it('puts blue first for BGR, with mean/std in tensor channel order', async () => {
    const tensor = await preprocess(await knownPng(), { ...small, channel_order: 'BGR' });
    expect(Array.from(tensor)).toEqual(
      f32([
        ...[80.5, 81, 85.5, 86], // (b - 10) / 2
        ...[23, 25.5, 23.25, 25.75], // (g - 20) / 4
        ...[-3.6, -1.6, -3.4, -1.4], // (r - 30) / 5
      ]),
    );
  });

  it('resizes the shorter side to `resize`, keeping the aspect ratio', async () => {
    const raw = await decodeResized(await solidImage([10, 20, 30]), { ...small, resize: 256, crop: 224 });
    expect([raw.width, raw.height, raw.channels]).toEqual([341, 256, 3]);
    const tall = await decodeResized(await solidImage([10, 20, 30], { width: 100, height: 300 }), small);
    expect([tall.width, tall.height]).toEqual([4, 12]);
  });

  it('applies the EXIF orientation before cropping', async () => {
    // 8×4, left half red, right half blue; orientation 6 displays it rotated 90° clockwise: red on top.
    const data = Buffer.alloc(8 * 4 * 3);
    for (let i = 0; i < 32; i++) data[i * 3 + ((i % 8) < 4 ? 0 : 2)] = 255;
    const png = await sharp(data, { raw: { width: 8, height: 4, channels: 3 } })
      .png()
      .withMetadata({ orientation: 6 })
      .toBuffer();
    const p: Preprocessing = { ...small, crop: 4, mean: [0, 0, 0], std: [1, 1, 1], scale: 1 / 255 };
    const tensor = await preprocess(png, p);
    // Displayed 4×8, centre crop rows 2..5: two red rows, then two blue rows.
    expect(Array.from(tensor.subarray(0, 16))).toEqual([1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0]);
    expect(Array.from(tensor.subarray(32, 48))).toEqual([0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1]);
  });

  it('turns grayscale into three equal channels', async () => {
    const grey = Buffer.from([0, 10, 20, 30, 40, 50, 60, 70, 80, 90, 100, 110, 120, 130, 140, 150]);
    const png = await sharp(grey, { raw: { width: 4, height: 4, channels: 1 } }).toColourspace('b-w').png().toBuffer();
    expect((await sharp(png).metadata()).channels).toBe(1);
    const p: Preprocessing = { ...small, mean: [0, 0, 0], std: [1, 1, 1] };
    const tensor = await preprocess(png, p);
    // Centre 2×2 of the 4×4: values 50, 60, 90, 100.
    expect(Array.from(tensor)).toEqual([50, 60, 90, 100, 50, 60, 90, 100, 50, 60, 90, 100]);
  });

  it('drops alpha without compositing, as PIL convert("RGB") does', async () => {
    const rgba = Buffer.alloc(4 * 4 * 4);
    for (let i = 0; i < 16; i++) rgba.set([i, 100 + i, 200 + i, [255, 0, 128, 255][i % 4]!], i * 4);
    const png = await sharp(rgba, { raw: { width: 4, height: 4, channels: 4 } }).png().toBuffer();
    expect((await sharp(png).metadata()).hasAlpha).toBe(true);
    const tensor = await preprocess(png, { ...small, mean: [0, 0, 0], std: [1, 1, 1] });
    // Centre 2×2 is pixels 5, 6, 9, 10 (alpha 0, 128, 0, 128).
    expect(Array.from(tensor)).toEqual([5, 6, 9, 10, 105, 106, 109, 110, 205, 206, 209, 210]);
  });

  it('accepts JPEG, PNG and WebP', async () => {
    for (const format of ['jpeg', 'png', 'webp'] as const) {
      const tensor = await preprocess(await solidImage([200, 100, 50], { format }), { ...small, resize: 256, crop: 224 });
      expect(tensor.length).toBe(3 * 224 * 224);
      expect(Math.abs(tensor[0]! - (200 - 10) / 2)).toBeLessThan(6);
    }
  });
});

describe('preprocess rejects unusable bytes with InvalidImageError', () => {
  const p: Preprocessing = { ...small, resize: 256, crop: 224 };

  async function rejection(bytes: Buffer, opts?: PreprocessOptions): Promise<InvalidImageError> {
    const err = await preprocess(bytes, p, opts).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(InvalidImageError);
    return err as InvalidImageError;
  }

  it('garbage, empty input and formats other than JPEG/PNG/WebP', async () => {
    expect((await rejection(Buffer.from('definitely not an image'))).code).toBe('invalid_image');
    expect((await rejection(Buffer.alloc(0))).code).toBe('invalid_image');
    const svg = Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="9" height="9"><rect width="9" height="9"/></svg>');
    await rejection(svg);
    await rejection(await sharp({ create: { width: 8, height: 8, channels: 3, background: '#f00' } }).gif().toBuffer());
  });

  it('a JPEG header followed by junk', async () => {
    const err = await rejection(Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.alloc(64, 0x41)]));
    expect(err.code).toBe('invalid_image');
  });

  it('a truncated JPEG and a truncated PNG', async () => {
    const jpeg = await solidImage([120, 80, 40]);
    expect((await rejection(jpeg.subarray(0, Math.floor(jpeg.length * 0.6)))).message).toMatch(/cannot decode/);
    const png = await solidImage([120, 80, 40], { format: 'png' });
    await rejection(png.subarray(0, Math.floor(png.length * 0.6)));
  });

  it('too many pixels, and a tiny file whose aspect ratio would explode the resize', async () => {
    const big = await sharp({ create: { width: 3000, height: 3000, channels: 3, background: '#888' } }).png().toBuffer();
    const tooBig = await rejection(big, { maxPixels: 1_000_000 });
    expect(tooBig.code).toBe('image_too_large');
    expect(tooBig.message).toMatch(/3000×3000/);
    const sliver = await sharp({ create: { width: 1, height: 20000, channels: 3, background: '#888' } }).png().toBuffer();
    expect((await rejection(sliver)).code).toBe('image_too_large');
  });

  it('checks the header it is given instead of reading one, and sharp still refuses pixels beyond the limit', async () => {
    // The API passes the dimensions it read; the worker checks those (a small image said to be huge is refused)...
    const small = await solidImage([10, 20, 30]);
    const said = await rejection(small, { maxPixels: 1_000_000, header: { width: 4000, height: 4000 } });
    expect(said.message).toMatch(/4000×4000/);
    expect((await rejection(small, { header: { width: 10, height: 400 } })).message).toMatch(/elongated/);
    // ...and a header that understates the image does not let its pixels through: sharp's own limit holds.
    const big = await sharp({ create: { width: 3000, height: 3000, channels: 3, background: '#888' } }).png().toBuffer();
    expect((await rejection(big, { maxPixels: 1_000_000, header: { width: 300, height: 300 } })).code).toBe('image_too_large');
  });
});

describe('writeTensor', () => {
  const identity: Preprocessing = { ...small, crop: 224, resize: 224, mean: [0, 0, 0], std: [1, 1, 1] };

  /** Red channel = x, so the first tensor value is the crop's x offset. */
  function ramp(width: number, height: number) {
    const data = Buffer.alloc(width * height * 3);
    for (let i = 0; i < width * height; i++) data[i * 3] = i % width;
    return { data, width, height, channels: 3 };
  }

  it('centres the crop with round-half-to-even, as torchvision does', () => {
    const t = new Float32Array(3 * 224 * 224);
    writeTensor(ramp(257, 224), identity, t, 0); // (257-224)/2 = 16.5 → 16
    expect(t[0]).toBe(16);
    writeTensor(ramp(259, 224), identity, t, 0); // 17.5 → 18
    expect(t[0]).toBe(18);
    writeTensor(ramp(258, 224), identity, t, 0); // 17
    expect(t[0]).toBe(17);
  });

  it('fills one item of a batch tensor in place and refuses to overflow it', () => {
    const n = 3 * 224 * 224;
    const batch = new Float32Array(2 * n).fill(-1);
    writeTensor(ramp(259, 224), identity, batch, n);
    expect(batch[n - 1]).toBe(-1);
    expect(batch[n]).toBe(18);
    expect(() => writeTensor(ramp(259, 224), identity, batch, n + 1)).toThrow(RangeError);
    expect(() => writeTensor(ramp(200, 224), identity, batch, 0)).toThrow(/smaller than crop/);
  });

  it('roundHalfEven matches Python round()', () => {
    expect([0.5, 1.5, 2.5, 3, 16.5, 17.5, 2.4, 2.6].map(roundHalfEven)).toEqual([0, 2, 2, 3, 16, 18, 2, 3]);
  });
});
