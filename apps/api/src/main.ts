import { AppConfigError } from './env.js';
import { startServer } from './server.js';

/** Process entry: the only place that installs signal handlers or calls process.exit. */
async function main(): Promise<void> {
  const running = await startServer();
  const stop = (signal: NodeJS.Signals) => {
    // A hard deadline, so a stuck dependency can never keep the process past the orchestrator's grace period.
    setTimeout(() => process.exit(1), 10_000).unref();
    running.shutdown(signal).then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

main().catch((error: unknown) => {
  const configError =
    error instanceof AppConfigError ||
    (error instanceof Error && (error as { code?: string }).code === 'E_REDIS_CONFIG');
  process.stderr.write(
    `${configError ? 'Invalid configuration: ' : 'Failed to start: '}${error instanceof Error ? error.message : String(error)}\n`,
  );
  process.exit(1);
});
