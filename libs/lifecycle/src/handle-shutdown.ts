import type { Logger } from '@alertgate/logging';

/**
 * Stops the process cleanly on SIGTERM/SIGINT (Kubernetes sends SIGTERM, then SIGKILL after
 * terminationGracePeriodSeconds): `stop` drains in-flight work, then the process exits 0. The
 * same signal again (Ctrl-C pressed twice), or a `stop` that fails, exits at once with 1. The
 * other signal during a stop changes nothing: under npm start a Ctrl-C reaches every process of
 * the terminal's group (SIGINT) and start-system then stops each service (SIGTERM), and both
 * mean "stop".
 */
export function handleShutdown(logger: Logger, stop: () => Promise<void>): void {
  let stopping: NodeJS.Signals | undefined;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (stopping === signal) {
      logger.warn({ signal }, 'second signal; exiting now');
      process.exit(1);
    }
    if (stopping) {
      logger.info({ signal, stopping }, 'already stopping');
      return;
    }
    stopping = signal;
    logger.info({ signal }, 'shutting down');
    stop().then(
      () => {
        logger.info('stopped');
        process.exit(0);
      },
      (err: unknown) => {
        logger.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
}

/** Logs and exits when start-up fails (bad config, port in use): a crash loop with a reason. */
export function exitOnStartupFailure(logger: Pick<Logger, 'fatal'>, err: unknown): never {
  logger.fatal({ err: err instanceof Error ? { name: err.name, message: err.message } : String(err) }, 'start-up failed');
  process.exit(1);
}
