import fs from 'node:fs';
import { createHash } from 'node:crypto';
import { pipeline } from 'node:stream/promises';
import { Transform } from 'node:stream';
import multer, { type StorageEngine } from 'multer';
import type { Request, RequestHandler } from 'express';
import type { BlobStore } from '../../shared/storage.js';

/** An upload on disk in the blob store's temp area, hashed while it was written. */
export interface UploadedImage {
  field: string;
  filename: string | null;
  tempPath: string;
  bytes: number;
  sha256: string;
}

/**
 * A multer storage engine that streams each file into the blob store's temp area, computing sha256 and size on
 * the way, so an upload is never held in memory. multer calls `_removeFile` for every stored file when the
 * request fails (limits, abort), which is how no temp file outlives a failed upload.
 */
class TempFileStorage implements StorageEngine {
  constructor(private readonly blobs: BlobStore) {}

  _handleFile(_req: Request, file: Express.Multer.File, cb: (error?: unknown, info?: Partial<Express.Multer.File>) => void) {
    const tempPath = this.blobs.tempPath();
    const hash = createHash('sha256');
    let bytes = 0;
    const meter = new Transform({
      transform(chunk: Buffer, _enc, done) {
        hash.update(chunk);
        bytes += chunk.length;
        done(null, chunk);
      },
    });
    pipeline(file.stream, meter, fs.createWriteStream(tempPath, { flags: 'wx', mode: 0o600 })).then(
      () => cb(null, { path: tempPath, size: bytes, filename: hash.digest('hex') }),
      (err) => fs.rm(tempPath, { force: true }, () => cb(err)),
    );
  }

  _removeFile(_req: Request, file: Express.Multer.File, cb: (error: Error | null) => void) {
    fs.unlink(file.path, () => cb(null));
  }
}

export interface UploadLimits {
  maxBytes: number;
  maxFiles: number;
  /** Field names that may carry files. */
  fileFields: string[];
}

/** multer with every limit set: size, file count, fields, parts, field name and value sizes. */
export function uploadMiddleware(blobs: BlobStore, limits: UploadLimits): RequestHandler {
  const upload = multer({
    storage: new TempFileStorage(blobs),
    // Browsers and fetch send filenames as raw UTF-8; busboy's latin1 default would garble them.
    defParamCharset: 'utf8',
    limits: {
      fileSize: limits.maxBytes,
      files: limits.maxFiles,
      fields: 20,
      fieldNameSize: 100,
      fieldSize: 16 * 1024,
      parts: limits.maxFiles + 20,
      headerPairs: 100,
    },
  });
  return upload.fields(limits.fileFields.map((name) => ({ name, maxCount: limits.maxFiles })));
}

/** The files of a request as UploadedImages, in the order they arrived. */
export function uploadedFiles(req: Request): UploadedImage[] {
  const byField = (req.files ?? {}) as Record<string, Express.Multer.File[]>;
  return Object.values(byField)
    .flat()
    .map((f) => ({
      field: f.fieldname,
      filename: cleanFilename(f.originalname),
      tempPath: f.path,
      bytes: f.size,
      sha256: f.filename,
    }));
}

/**
 * A client's filename is data, never a path: control characters (NUL, bidi overrides) are dropped and the
 * length capped, so it is safe to echo in JSON, CSV and logs. Storage never uses it.
 */
export function cleanFilename(name: string | undefined): string | null {
  if (!name) return null;
  // eslint-disable-next-line no-control-regex
  const clean = name.replace(/[\u0000-\u001f\u007f\u202a-\u202e\u2066-\u2069]/g, '').slice(0, 255);
  return clean || null;
}

/** Deletes the temp files of a request that were not moved into the store (any error after multer). */
export async function discardUploads(files: UploadedImage[]): Promise<void> {
  await Promise.all(files.map((f) => fs.promises.unlink(f.tempPath).catch(() => undefined)));
}
