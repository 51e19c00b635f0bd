import { describe, expect, it } from 'vitest';
import { cleanFilename } from '../../api/middleware/upload.js';

describe('cleanFilename', () => {
  it('keeps folders as a relative name, never one that climbs out or starts at the root', () => {
    expect(cleanFilename('photos/2024/a.jpg')).toBe('photos/2024/a.jpg');
    expect(cleanFilename('../../etc/passwd')).toBe('etc/passwd');
    expect(cleanFilename('/abs/./x/../y.jpg')).toBe('abs/x/y.jpg');
    expect(cleanFilename('C:\\Users\\me\\a.jpg')).toBe('C:/Users/me/a.jpg');
    expect(cleanFilename('..')).toBeNull();
    expect(cleanFilename('')).toBeNull();
  });

  it('drops control and bidi characters and caps the length', () => {
    expect(cleanFilename('evil\u202Egpj.exe\u2066')).toBe('evilgpj.exe');
    expect(cleanFilename('a\u0000b.jpg')).toBe('ab.jpg');
    expect(cleanFilename('x'.repeat(300))).toHaveLength(255);
  });
});
