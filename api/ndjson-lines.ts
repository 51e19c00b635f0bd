import { AppError } from '../shared/errors.js';

/** Longest line of a JSON-lines body: an item is a URL, a custom_id and up to 2 KiB of metadata. */
export const MAX_LINE_BYTES = 8192;

/**
 * The lines of a request body, read as they arrive: the next chunk is pulled only when the lines of this one
 * have been handled, so a 100,000-line body is never held whole (the socket waits meanwhile). A line longer
 * than MAX_LINE_BYTES (counted in characters) ends the request (413), however the body was cut into chunks: that
 * is not an item, and reading on would buffer it.
 */
export async function* bodyLines(body: AsyncIterable<Buffer | string> | Iterable<Buffer | string>): AsyncGenerator<string> {
  let rest = '';
  const decoder = new TextDecoder('utf-8');
  for await (const chunk of body) {
    rest += typeof chunk === 'string' ? chunk : decoder.decode(chunk, { stream: true });
    let start = 0;
    let nl: number;
    while ((nl = rest.indexOf('\n', start)) >= 0) {
      const line = rest.slice(start, nl);
      start = nl + 1;
      if (line.length > MAX_LINE_BYTES) throw tooLong();
      yield line.endsWith('\r') ? line.slice(0, -1) : line;
    }
    rest = rest.slice(start);
    if (rest.length > MAX_LINE_BYTES) throw tooLong();
  }
  rest += decoder.decode();
  if (rest.length > MAX_LINE_BYTES) throw tooLong();
  if (rest.length > 0) yield rest;
}

const tooLong = () => new AppError('line_too_long', `a line is longer than ${MAX_LINE_BYTES} characters`);
