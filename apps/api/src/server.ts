import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRedis, loadRedisConfig, type RedisConnection } from '@redis-toolkit/connection';
import { pino } from 'pino';
import { createApp } from './app.js';
import { type AppEnv, loadAppEnv } from './env.js';

export interface RunningServer {
  readonly port: number;
  readonly server: Server;
  readonly redis: RedisConnection;
  /** Stops accepting, lets in-flight requests finish, closes Redis. Idempotent. */
  shutdown(reason?: string): Promise<void>;
}

export async function startServer(env: NodeJS.ProcessEnv = process.env): Promise<RunningServer> {
  const appEnv: AppEnv = loadAppEnv(env);
  const logger = pino({ level: appEnv.LOG_LEVEL, redact: ['req.headers.authorization', 'req.headers.cookie'] });
  const redisConfig = loadRedisConfig(env);
  // Returns at once: the API starts and serves while Redis is still connecting or down.
  const redis = createRedis(redisConfig, { logger: logger.child({ component: 'redis' }), name: 'api' });
  const app = createApp({ redis, logger });

  const server = app.listen(appEnv.PORT, appEnv.HOST);
  await new Promise<void>((resolve, reject) => {
    server.once('listening', resolve);
    server.once('error', reject);
  });
  const { port } = server.address() as AddressInfo;
  logger.info({ port, redis: redis.status }, 'api listening');

  let closing: Promise<void> | undefined;
  const shutdown = (reason = 'shutdown') => {
    closing ??= (async () => {
      logger.info({ reason }, 'shutting down: draining requests');
      const drained = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      const timer = setTimeout(() => server.closeAllConnections(), appEnv.SHUTDOWN_TIMEOUT_MS);
      await drained;
      clearTimeout(timer);
      await redis.close({ timeoutMs: 1_000 });
      logger.info('shutdown complete');
    })();
    return closing;
  };
  return { port, server, redis, shutdown };
}
