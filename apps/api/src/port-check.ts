import { createServer } from 'node:net';
import { AppConfigError } from './env.js';

/**
 * Fails fast when `port` is taken, before the database is opened and seeded (which takes seconds).
 * A quick listen-and-close: the real listen can still lose a race, and then reports the same way.
 */
export async function assertPortFree(port: number, host: string): Promise<void> {
  if (port === 0) return;
  await new Promise<void>((resolve, reject) => {
    const probe = createServer();
    probe.once('error', (error: NodeJS.ErrnoException) =>
      reject(
        error.code === 'EADDRINUSE'
          ? new AppConfigError(
              `PORT=${port} is already in use on ${host}: stop the other process or set PORT to a free port (PORT=0 picks one)`,
            )
          : error,
      ),
    );
    probe.listen(port, host, () => probe.close(() => resolve()));
  });
}
