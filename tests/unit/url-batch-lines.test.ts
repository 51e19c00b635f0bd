import { describe, expect, it } from 'vitest';
import { bodyLines, MAX_LINE_BYTES } from '../../api/ndjson-lines.js';
import { parseUrlLine } from '../../api/url-batch-line.js';

async function collect(chunks: (string | Buffer)[]): Promise<string[]> {
  const out: string[] = [];
  for await (const line of bodyLines(chunks)) out.push(line);
  return out;
}

describe('JSON-lines body reader', () => {
  it('splits lines across chunk boundaries, CRLF or LF, multi-byte characters cut anywhere, last line without newline', async () => {
    const text = '{"a":1}\r\n{"b":"é✓"}\n\n{"c":3}';
    const bytes = Buffer.from(text);
    // Every split point, including inside the multi-byte é and ✓.
    for (let cut = 0; cut <= bytes.length; cut++) {
      expect(await collect([bytes.subarray(0, cut), bytes.subarray(cut)]), `cut at ${cut}`).toEqual(['{"a":1}', '{"b":"é✓"}', '', '{"c":3}']);
    }
  });

  it('refuses a line longer than the limit without waiting for its end', async () => {
    const long = 'x'.repeat(MAX_LINE_BYTES + 1);
    await expect(collect(['{"ok":1}\n', long])).rejects.toMatchObject({ code: 'line_too_long', status: 413 });
    // The same however the body is cut: a complete over-long line in one chunk, or the last line of the body.
    await expect(collect([`{"ok":1}\n${long}\n{"ok":2}\n`])).rejects.toMatchObject({ code: 'line_too_long' });
    await expect(collect([`{"ok":1}\n${long}`])).rejects.toMatchObject({ code: 'line_too_long' });
  });
});

describe('JSON-lines batch item', () => {
  const guard = { allowedHosts: [] };
  it('takes image_url, custom_id and metadata', () => {
    expect(parseUrlLine('{"image_url":"https://img.example.com/a.jpg","custom_id":"a","metadata":{"n":1}}', guard)).toEqual({
      imageUrl: 'https://img.example.com/a.jpg', customId: 'a', metadata: { n: 1 },
    });
  });

  it('names the reason a line is refused', () => {
    const cases: [string, string][] = [
      ['not json', 'invalid_line'],
      ['["https://img.example.com/a.jpg"]', 'invalid_line'],
      ['{"custom_id":"a"}', 'invalid_line'],
      ['{"image_url":"https://img.example.com/a.jpg","metadata":[1]}', 'invalid_line'],
      [`{"image_url":"https://img.example.com/a.jpg","metadata":{"x":"${'y'.repeat(2100)}"}}`, 'invalid_line'],
      ['{"image_url":"https://img.example.com/a.jpg","custom_id":""}', 'invalid_line'],
      ['{"image_url":"http://169.254.169.254/latest/"}', 'invalid_image_url'],
      ['{"image_url":"http://0x7f000001/a.jpg"}', 'invalid_image_url'],
      ['{"image_url":"file:///etc/passwd"}', 'invalid_image_url'],
    ];
    for (const [line, code] of cases) expect(parseUrlLine(line, guard), line.slice(0, 60)).toMatchObject({ code });
  });
});
