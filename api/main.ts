import { loadConfigOrExit } from '../shared/config-or-exit.js';
import { createLogger } from '../shared/logger.js';
import { onShutdownSignal } from '../shared/shutdown.js';
import { reportStartFailed, reportStarted } from '../shared/child-report.js';
import { startTracing } from '../shared/tracing.js';
import { startApi } from './server.js';

const config = loadConfigOrExit('api');
const logger = createLogger(config.logLevel, { role: 'api' });
const tracing = startTracing({ serviceName: `${config.tracing.serviceName}-api`, otlpEndpoint: config.tracing.otlpEndpoint });
try {
  const api = await startApi(config, logger);
  reportStarted();
  onShutdownSignal(async (signal) => {
    logger.info({ signal }, 'api shutting down');
    const inTime = await api.close();
    await tracing?.shutdown().catch(() => undefined);
    process.exit(inTime ? 0 : 1);
  });
} catch (err) {
  const reason = err instanceof Error ? err.message : String(err);
  logger.fatal({ err }, `api failed to start: ${reason}`);
  await reportStartFailed(reason);
  process.exit(1);
}
