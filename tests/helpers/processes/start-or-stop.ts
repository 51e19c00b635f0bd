/**
 * Runs `boot` on a launcher that has just been made; when boot throws, stops whatever it had started and
 * rethrows, so a start that fails half-way leaves no process, folder or namespace behind. Every launcher here
 * (a redis-server, a sentinel or cluster topology, the multi-host cluster) starts this way.
 */
export async function startOrStop<T extends { stop(): Promise<void> }>(launcher: T, boot: (launcher: T) => Promise<void>): Promise<T> {
  try {
    await boot(launcher);
  } catch (err) {
    await launcher.stop();
    throw err;
  }
  return launcher;
}
