/** Finding the images to send: folder walking, chunking, the names uploads carry, reading a file. */
import type fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import type { ImageInput } from '../inferq-client.js';
import { CliError } from './errors.js';

export const IMAGE_EXTENSIONS: readonly string[] = ['.jpg', '.jpeg', '.png', '.webp'];

export function isImageFile(name: string): boolean {
  return IMAGE_EXTENSIONS.includes(path.extname(name).toLowerCase());
}

/**
 * The image files under `paths`, as absolute paths, deduplicated and sorted (byte order, so every run chunks the
 * same way). Folders are walked recursively for image extensions, skipping hidden entries and following symbolic
 * links (each real folder once); a file named explicitly is taken whatever its extension.
 */
export async function walkImages(paths: readonly string[], cwd = process.cwd()): Promise<string[]> {
  const found = new Set<string>();
  const seenDirs = new Set<string>();
  const walk = async (dir: string): Promise<void> => {
    const real = await fsp.realpath(dir);
    if (seenDirs.has(real)) return;
    seenDirs.add(real);
    const entries = await fsp.readdir(dir, { withFileTypes: true });
    for (const e of entries) {
      if (e.name.startsWith('.')) continue;
      const full = path.join(dir, e.name);
      let isDir = e.isDirectory();
      let isFile = e.isFile();
      if (e.isSymbolicLink()) {
        const st = await fsp.stat(full).catch(() => null);
        if (!st) continue; // dangling link
        isDir = st.isDirectory();
        isFile = st.isFile();
      }
      if (isDir) await walk(full);
      else if (isFile && isImageFile(e.name)) found.add(full);
    }
  };
  for (const p of paths) {
    const abs = path.resolve(cwd, p);
    let st: fs.Stats;
    try {
      st = await fsp.stat(abs);
    } catch {
      throw new CliError(`no such file or folder: ${p}`);
    }
    if (st.isDirectory()) await walk(abs);
    else if (st.isFile()) found.add(abs);
    else throw new CliError(`not a file or folder: ${p}`);
  }
  return [...found].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

/**
 * The name each file is uploaded under: its path below the deepest folder holding them all, with `/` between
 * folders. Files of one flat folder keep their plain names; two `a.jpg` in different sub-folders stay apart.
 */
export function uploadNames(files: readonly string[]): string[] {
  if (files.length === 0) return [];
  let common = path.dirname(files[0]!);
  for (const f of files) {
    while (common !== path.dirname(common) && path.relative(common, f).startsWith('..')) common = path.dirname(common);
  }
  return files.map((f) => path.relative(common, f).split(path.sep).join('/'));
}

/** Splits `items` into consecutive chunks of `size` (the last may be shorter). */
export function chunk<T>(items: readonly T[], size: number): T[][] {
  if (!Number.isInteger(size) || size < 1) throw new RangeError(`chunk size must be a positive integer, got ${size}`);
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** The file's bytes, named `name` (default: its base name). */
export async function readImage(file: string, name = path.basename(file)): Promise<ImageInput> {
  return { data: await fsp.readFile(file), filename: name };
}
