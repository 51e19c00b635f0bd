import { loadConfigOrExit } from '../shared/config-or-exit.js';
import { createLogger } from '../shared/logger.js';
import { onShutdownSignal } from '../shared/shutdown.js';
import { startApi } from './server.js';

const config = loadConfigOrExit('api');
const logger = createLogger(config.logLevel, { role: 'api' });
try {
  const api = await startApi(config, logger);
  onShutdownSignal(async (signal) => {
    logger.info({ signal }, 'api shutting down');
    process.exit((await api.close()) ? 0 : 1);
  });
} catch (err) {
  logger.fatal({ err }, 'api failed to start');
  process.exit(1);
}
