import { loadConfigOrExit } from '../shared/config-or-exit.js';
import { createLogger } from '../shared/logger.js';
import { onShutdownSignal } from '../shared/shutdown.js';
import { startWorker } from './server.js';

const config = loadConfigOrExit('worker');
const logger = createLogger(config.logLevel, { role: 'worker' });
try {
  const worker = await startWorker(config, logger);
  onShutdownSignal(async (signal) => {
    logger.info({ signal }, 'worker draining');
    const inTime = await worker.close();
    process.exit(inTime ? 0 : 1);
  });
} catch (err) {
  logger.fatal({ err }, 'worker failed to start');
  process.exit(1);
}
