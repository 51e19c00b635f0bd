import type sharp from 'sharp';

/**
 * Restricts libvips, process-wide, to the JPEG, PNG and WebP loaders: SVG (librsvg), PDF, TIFF, GIF, HEIF and the
 * rest become unreachable, whatever bytes arrive and whichever code path hands them to sharp.
 */
export function restrictDecoders(s: typeof sharp): void {
  // Every image is decoded once: libvips' operation cache only holds memory (tens of MB per process).
  s.cache(false);
  s.block({ operation: ['VipsForeignLoad'] });
  s.unblock({ operation: ['VipsForeignLoadJpeg', 'VipsForeignLoadPng', 'VipsForeignLoadWebp'] });
}
