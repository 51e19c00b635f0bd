import { loadConfigOrExit } from '../shared/config-or-exit.js';
import { createLogger } from '../shared/logger.js';
import { onShutdownSignal } from '../shared/shutdown.js';
import { reportStartFailed, reportStarted } from '../shared/child-report.js';
import { startTracing } from '../shared/tracing.js';
import { startWorker } from './server.js';

const config = loadConfigOrExit('worker');
const logger = createLogger(config.logLevel, { role: 'worker' });
const tracing = startTracing({ serviceName: `${config.tracing.serviceName}-worker`, otlpEndpoint: config.tracing.otlpEndpoint });
try {
  const worker = await startWorker(config, logger);
  reportStarted({ metrics_port: worker.metricsPort });
  onShutdownSignal(async (signal) => {
    logger.info({ signal }, 'worker draining');
    const inTime = await worker.close();
    await tracing?.shutdown().catch(() => undefined);
    process.exit(inTime ? 0 : 1);
  });
} catch (err) {
  const reason = err instanceof Error ? err.message : String(err);
  logger.fatal({ err }, `worker failed to start: ${reason}`);
  await reportStartFailed(reason);
  process.exit(1);
}
