import fs from 'node:fs';
import { createHash } from 'node:crypto';
import { pipeline } from 'node:stream/promises';
import { Transform, finished } from 'node:stream';
import multer, { type StorageEngine } from 'multer';
import type { Request, RequestHandler } from 'express';
import type { BlobStore } from '../../shared/storage.js';
import { uploadError } from './upload-errors.js';

/** A received upload, hashed while it arrived: in memory (single images) or in a temp file (batch appends). */
export interface UploadedImage {
  field: string;
  filename: string | null;
  bytes: number;
  sha256: string;
  /** The file's bytes (a read of the temp file for batch appends). */
  contents(): Promise<Buffer>;
  /**
   * Puts the file into the blob store (one write, or a rename of the temp file) and returns its key: `key` (from
   * newBlobKey) when given, so a caller can record the job while the write is under way.
   */
  storeIn(blobs: BlobStore, key?: string): Promise<string>;
  /** Frees what is left of an upload that was not stored (a no-op in memory). */
  discard(): Promise<void>;
}

type FileCallback = (error?: unknown, info?: Partial<Express.Multer.File> & { image?: UploadedImage }) => void;
type File = Express.Multer.File & { image?: UploadedImage };

/**
 * Keeps a single-image upload in memory (the upload limit, 10 MiB by default, bounds it), so the API checks
 * the bytes it already holds and writes them into the blob store once: the temp file, its re-reads, rename
 * and unlink cost ~12 file-system operations per upload (issue 12).
 */
class MemoryStorage implements StorageEngine {
  _handleFile(_req: Request, file: Express.Multer.File, cb: FileCallback) {
    const hash = createHash('sha256');
    const chunks: Buffer[] = [];
    let bytes = 0;
    file.stream.on('data', (chunk: Buffer) => {
      hash.update(chunk);
      chunks.push(chunk);
      bytes += chunk.length;
    });
    // finished(), not 'end' alone: a request that aborts mid-file ends in an error here, never in silence. Not
    // stream/promises' pipeline either: it aborts an AbortController when done, a DOMException with a stack
    // trace per upload (~1 % of the API's CPU).
    finished(file.stream, (err) => {
      if (err) return cb(err);
      const data = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, bytes);
      const image = described(file, bytes, hash.digest('hex'), {
        contents: async () => data,
        storeIn: (blobs, key) => blobs.put(data, key),
        discard: async () => undefined,
      });
      cb(null, { size: bytes, image });
    });
  }

  _removeFile(_req: Request, _file: Express.Multer.File, cb: (error: Error | null) => void) {
    cb(null);
  }
}

/**
 * Streams each file of a batch append (up to MAX_BATCH_FILES_PER_REQUEST of them) into the blob store's temp
 * area, so a large append is never held in memory. multer calls `_removeFile` for every stored file when the
 * request fails (limits, abort), which is how no temp file outlives a failed upload.
 */
class TempFileStorage implements StorageEngine {
  constructor(private readonly blobs: BlobStore) {}

  _handleFile(_req: Request, file: Express.Multer.File, cb: FileCallback) {
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
      () => {
        const image = described(file, bytes, hash.digest('hex'), {
          contents: () => fs.promises.readFile(tempPath),
          storeIn: (blobs, key) => blobs.adopt(tempPath, key),
          discard: () => fs.promises.unlink(tempPath).catch(() => undefined),
        });
        cb(null, { path: tempPath, size: bytes, image });
      },
      (err) => fs.rm(tempPath, { force: true }, () => cb(err)),
    );
  }

  _removeFile(_req: Request, file: Express.Multer.File, cb: (error: Error | null) => void) {
    fs.unlink(file.path, () => cb(null));
  }
}

function described(file: Express.Multer.File, bytes: number, sha256: string, how: Pick<UploadedImage, 'contents' | 'storeIn' | 'discard'>): UploadedImage {
  return { field: file.fieldname, filename: cleanFilename(file.originalname), bytes, sha256, ...how };
}

export interface UploadLimits {
  maxBytes: number;
  maxFiles: number;
  /** Field names that may carry files. */
  fileFields: string[];
}

/** multer with every limit set: size, file count, fields, parts, field name and value sizes. One file: in memory. */
export function uploadMiddleware(blobs: BlobStore, limits: UploadLimits): RequestHandler {
  const upload = multer({
    storage: limits.maxFiles === 1 ? new MemoryStorage() : new TempFileStorage(blobs),
    // Browsers and fetch send filenames as raw UTF-8; busboy's latin1 default would garble them.
    defParamCharset: 'utf8',
    // Keep the name as the client sent it, folders included (`inferq batch` names nested files sub/a.jpg so two
    // a.jpg stay apart); busboy would cut it to the base name. It is only ever echoed (see cleanFilename).
    preservePath: true,
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
  const parse = upload.fields(limits.fileFields.map((name) => ({ name, maxCount: limits.maxFiles })));
  // Whatever fails while the form is read is told apart here, where its origin is known (upload-errors.ts).
  return (req, res, next) => parse(req, res, (err?: unknown) => (err == null ? next() : next(uploadError(err))));
}

/** The files of a request as UploadedImages, in the order they arrived. */
export function uploadedFiles(req: Request): UploadedImage[] {
  const byField = (req.files ?? {}) as Record<string, File[]>;
  return Object.values(byField)
    .flat()
    .flatMap((f) => (f.image ? [f.image] : []));
}

/**
 * A client's filename is data, never a path: control characters (NUL, bidi overrides) are dropped and the
 * length capped, so it is safe to echo in JSON, CSV and logs. Storage never uses it. Folders are kept (`inferq
 * batch` names nested files `sub/a.jpg` so two `a.jpg` stay apart), but only as a relative name below nothing:
 * empty, `.` and `..` segments are dropped and `\` reads as `/`, so a client that writes results to files by
 * their name cannot be led outside its folder by what another client sent.
 */
export function cleanFilename(name: string | undefined): string | null {
  if (!name) return null;
  // eslint-disable-next-line no-control-regex
  const visible = name.replace(/[\u0000-\u001f\u007f\u202a-\u202e\u2066-\u2069]/g, '');
  const relative = visible.split(/[\\/]+/).filter((s) => s !== '' && s !== '.' && s !== '..').join('/');
  return relative.slice(0, 255) || null;
}

/** Frees the uploads of a request that were not moved into the store (any error after multer). */
export async function discardUploads(files: UploadedImage[]): Promise<void> {
  await Promise.all(files.map((f) => f.discard()));
}
