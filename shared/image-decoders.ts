import type sharp from 'sharp';

/**
 * Restricts libvips, process-wide, to the JPEG, PNG and WebP loaders: SVG (librsvg), PDF, TIFF, GIF, HEIF and the
 * rest become unreachable, whatever bytes arrive and whichever code path hands them to sharp.
 */
export function restrictDecoders(s: typeof sharp): void {
  s.block({ operation: ['VipsForeignLoad'] });
  s.unblock({ operation: ['VipsForeignLoadJpeg', 'VipsForeignLoadPng', 'VipsForeignLoadWebp'] });
}
