/** Bounded concurrency over a list (p-limit), stopping at the first error. */
import pLimit from 'p-limit';

/**
 * Runs `fn` over `items` with at most `concurrency` in flight. The first error stops new work; the others in
 * flight are awaited, then that error is thrown. `shouldStop` (e.g. Ctrl-C) also stops new work.
 */
export async function runPool<T>(
  items: readonly T[],
  concurrency: number,
  fn: (item: T, index: number) => Promise<void>,
  shouldStop: () => boolean = () => false,
): Promise<void> {
  const limit = pLimit(Math.max(1, concurrency));
  let failed = false;
  let firstError: unknown;
  await Promise.all(
    items.map((item, i) =>
      limit(async () => {
        if (failed || shouldStop()) return;
        try {
          await fn(item, i);
        } catch (err) {
          if (!failed) {
            failed = true;
            firstError = err;
          }
        }
      }),
    ),
  );
  if (failed) throw firstError;
}
