import { randomUUID } from 'node:crypto';
import type { RedisConnection } from '@redis-toolkit/connection';
import express, { type Express } from 'express';
import type { Logger as PinoLogger } from 'pino';
import { pinoHttp } from 'pino-http';
import { errorHandler, notFound } from './errors.js';
import { healthRoutes } from './routes/health.js';

export interface AppDependencies {
  redis: RedisConnection;
  logger: PinoLogger;
}

export function createApp({ redis, logger }: AppDependencies): Express {
  const app = express();
  app.disable('x-powered-by');
  app.use(
    pinoHttp({
      logger,
      genReqId: (req, res) => {
        const incoming = req.headers['x-request-id'];
        const id = typeof incoming === 'string' && /^[\w-]{1,64}$/.test(incoming) ? incoming : randomUUID();
        res.setHeader('x-request-id', id);
        return id;
      },
      autoLogging: { ignore: (req) => req.url === '/health' },
    }),
  );
  app.use(express.json({ limit: '100kb' }));
  app.use(healthRoutes(redis));
  app.use(notFound);
  app.use(errorHandler);
  return app;
}
