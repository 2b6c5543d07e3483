import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRedis, loadRedisConfig, type RedisConnection } from '@redis-toolkit/connection';
import { type DestinationStream, pino } from 'pino';
import { createApp } from './app.js';
import { createAlertHub } from './care/alerts.js';
import { createPresence } from './care/presence.js';
import { type DatabaseHandle, openDatabase } from './db/connect.js';
import { type AppEnv, loadAppEnv } from './env.js';
import { clinicalJobs } from './jobs/clinical.js';
import { createMetrics } from './metrics.js';
import { createPlatform, type Platform } from './platform.js';
import { assertPortFree } from './port-check.js';
import { appLogOptions } from './security/log-redaction.js';
import { assertProductionRedis } from './security/production-checklist.js';
import { createStatusCollector, type StatusCollector } from './status/collector.js';

export interface RunningServer {
  readonly port: number;
  readonly server: Server;
  readonly redis: RedisConnection;
  readonly database: DatabaseHandle;
  readonly platform: Platform;
  /** The status page's sampler (latency, hit ratios). */
  readonly status: StatusCollector;
  /** Stops accepting, ends SSE streams, lets in-flight requests finish, closes Redis and the database (if owned). Idempotent. */
  shutdown(reason?: string): Promise<void>;
}

export interface StartServerOptions {
  /**
   * Share an already open database (a second instance in tests and benchmarks). It is not
   * closed by `shutdown()`; by default the server opens (and owns) its own.
   */
  database?: DatabaseHandle;
  /** Where the JSON log lines go (tests read them). Default: stdout. */
  logStream?: DestinationStream;
}

export async function startServer(
  env: NodeJS.ProcessEnv = process.env,
  options: StartServerOptions = {},
): Promise<RunningServer> {
  const appEnv: AppEnv = loadAppEnv(env);
  const logOptions = appLogOptions(appEnv.LOG_LEVEL);
  const logger = options.logStream ? pino(logOptions, options.logStream) : pino(logOptions);
  for (const warning of appEnv.warnings) logger.warn(warning);
  const redisConfig = loadRedisConfig(appEnv.redisEnv);
  assertProductionRedis(appEnv.NODE_ENV === 'production', redisConfig);

  // Before seeding: a busy port must not cost the seconds a database takes to come up.
  await assertPortFree(appEnv.PORT, appEnv.HOST);
  const started = Date.now();
  const database =
    options.database ??
    (await openDatabase({
      databaseUrl: appEnv.DATABASE_URL,
      schema: appEnv.DATABASE_SCHEMA,
      seed: appEnv.SEED
        ? { patients: appEnv.SEED_PATIENTS, appointments: appEnv.SEED_APPOINTMENTS }
        : false,
    }));
  const ownsDatabase = options.database === undefined;
  if (ownsDatabase)
    logger.info({ kind: database.kind, ms: Date.now() - started }, 'database ready');

  // Returns at once: the API starts and serves while Redis is still connecting or down.
  const redis = createRedis(redisConfig, {
    logger: logger.child({ component: 'redis' }),
    name: 'api',
  });
  const metrics = createMetrics();
  metrics.watchRedis(redis);
  // What the app does about an outage, once per outage of the shared runtime (a hung server
  // included, which never changes the connection's status); the runtime logs its own lines too.
  // `repeat`: a flapping failover is one incident, logged once (as the runtime does)
  redis.runtime?.on('down', (outage) => {
    if (outage.repeat) return;
    logger.warn(
      'redis unavailable: serving with in-memory caches and rate limits; sessions follow SESSION_ON_REDIS_ERROR; no school tokens issued until it is back',
    );
  });
  redis.runtime?.on('up', (outage, durationMs) => {
    if (outage.repeat) return;
    logger.info({ durationMs }, 'redis is back: caches, rate limits and sessions use it again');
  });
  const platform = createPlatform(appEnv, redis, logger, metrics, database);
  const presence = createPresence(redis);
  const alerts = createAlertHub({
    redis,
    logger: logger.child({ component: 'care-alerts' }),
    onStreamsChanged: (open) => metrics.sseClients.set(open),
  });
  const status = createStatusCollector({
    redis,
    platform,
    presence,
    alerts,
    databaseKind: database.kind,
    environment: appEnv.NODE_ENV,
  });
  // The dental and care background jobs; stopped at shutdown (the adherence scheduler's retry
  // while Redis is down would otherwise keep firing after the app has closed).
  const clinical = clinicalJobs({
    db: database.db,
    jobs: platform.jobs,
    alerts,
    logger: logger.child({ component: 'clinical-jobs' }),
    settings: {
      reminderLeadMs: appEnv.DENTAL_REMINDER_LEAD,
      followUpAfterMs: appEnv.DENTAL_FOLLOW_UP_AFTER,
      medicationLeadMs: appEnv.CARE_MEDICATION_REMINDER_LEAD,
      adherenceCron: appEnv.CARE_ADHERENCE_CRON,
    },
  });
  const app = createApp({
    clinical,
    status,
    env: appEnv,
    redis,
    logger,
    database,
    platform,
    metrics,
    presence,
    alerts,
  });

  // Node's own timeouts as the backstop of the app's JSON 408 (request-timeout.ts): headers must
  // arrive within REQUEST_TIMEOUT, a whole request a second later; checked every 500 ms instead of
  // Node's default 30 s, which would let a stalled client hold a socket far longer.
  const server = createServer(
    {
      requestTimeout: appEnv.REQUEST_TIMEOUT + 1_000,
      headersTimeout: appEnv.REQUEST_TIMEOUT,
      connectionsCheckingInterval: 500,
    },
    app,
  );
  server.listen(appEnv.PORT, appEnv.HOST);
  await new Promise<void>((resolve, reject) => {
    server.once('listening', resolve);
    server.once('error', reject);
  });
  const { port } = server.address() as AddressInfo;
  logger.info({ port, redis: redis.status, database: database.kind }, 'api listening');

  let closing: Promise<void> | undefined;
  const shutdown = (reason = 'shutdown') => {
    closing ??= (async () => {
      logger.info({ reason }, 'shutting down: draining requests');
      clinical.stop();
      const drained = new Promise<void>((resolve) => server.close(() => resolve()));
      // SSE streams never finish by themselves: end them so the drain can complete.
      const alertsClosed = alerts.close();
      // Workers stop taking jobs now and get JOBS_SHUTDOWN_TIMEOUT for running ones, while the
      // requests drain (their producers stay open until platform.close()).
      const workersClosed = platform.jobs.closeWorkers();
      server.closeIdleConnections();
      // Connections that finish their request while draining (ended SSE streams included) would
      // otherwise sit in keep-alive until it times out.
      const sweeper = setInterval(() => server.closeIdleConnections(), 100);
      const timer = setTimeout(() => server.closeAllConnections(), appEnv.SHUTDOWN_TIMEOUT_MS);
      await drained;
      clearInterval(sweeper);
      clearTimeout(timer);
      await alertsClosed;
      await workersClosed;
      status.close();
      await platform.close();
      await redis.close({ timeoutMs: 1_000 });
      if (ownsDatabase) await database.close();
      logger.info('shutdown complete');
    })();
    return closing;
  };
  return { port, server, redis, database, platform, status, shutdown };
}
