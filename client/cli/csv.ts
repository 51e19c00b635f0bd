/** Reading CSV (csv-parse) and the labels file of `inferq eval`. */
import { CsvError, parse } from 'csv-parse/sync';
import { CliError } from './errors.js';

/** RFC 4180 CSV: quoted fields (with "" escapes, commas and line breaks inside), CRLF or LF, a leading BOM. */
export function parseCsv(text: string): string[][] {
  try {
    return parse(text, {
      bom: true,
      record_delimiter: ['\r\n', '\n', '\r'],
      relax_column_count: true,
      relax_quotes: true,
      skip_empty_lines: true,
    }) as string[][];
  } catch (err) {
    if (err instanceof CsvError && err.code === 'CSV_QUOTE_NOT_CLOSED') throw new Error('CSV: a quoted field is not closed', { cause: err });
    throw err;
  }
}

export interface LabelledImage {
  file: string;
  classIndex: number;
  wnid: string | null;
  label: string | null;
  /** 1-based line of labels.csv (header is line 1), for messages. */
  line: number;
}

/** labels.csv with a header naming at least `file` and `class_index` (also `wnid`, `label` when present). */
export function parseLabels(text: string, source = 'labels.csv'): LabelledImage[] {
  const rows = parseCsv(text);
  const header = rows[0]?.map((h) => h.trim().toLowerCase());
  if (!header) throw new CliError(`${source} is empty`);
  const col = (name: string) => header.indexOf(name);
  const fileCol = col('file');
  const classCol = col('class_index');
  if (fileCol < 0 || classCol < 0) {
    throw new CliError(`${source}: the header must name the columns file and class_index (got ${header.join(',')})`);
  }
  const wnidCol = col('wnid');
  const labelCol = col('label');
  const seen = new Set<string>();
  return rows.slice(1).map((r, idx) => {
    const line = idx + 2;
    const file = r[fileCol]?.trim() ?? '';
    const ci = r[classCol]?.trim() ?? '';
    if (!file) throw new CliError(`${source}:${line}: no file name`);
    if (!/^\d+$/.test(ci)) throw new CliError(`${source}:${line}: class_index must be a whole number, got ${JSON.stringify(ci)}`);
    if (seen.has(file)) throw new CliError(`${source}:${line}: ${file} is listed twice`);
    seen.add(file);
    const opt = (c: number) => (c >= 0 && r[c] !== undefined && r[c]!.trim() !== '' ? r[c]!.trim() : null);
    return { file, classIndex: Number(ci), wnid: opt(wnidCol), label: opt(labelCol), line };
  });
}
