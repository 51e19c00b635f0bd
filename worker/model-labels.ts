import { readFile } from 'node:fs/promises';

/**
 * One label per line; line i (0-based) names class i, so only trailing empty lines are dropped — removing an
 * empty line in the middle would shift every later class.
 */
export async function loadLabels(path: string): Promise<string[]> {
  const text = await readFile(path, 'utf8');
  const labels = text.replace(/^\uFEFF/, '').split(/\r?\n/).map((line) => line.trim());
  while (labels.length > 0 && labels[labels.length - 1] === '') labels.pop();
  return labels;
}
