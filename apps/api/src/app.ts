import type { RedisConnection } from '@redis-toolkit/connection';
import express, { type Express } from 'express';
import type { Logger as PinoLogger } from 'pino';
import type { AlertHub } from './care/alerts.js';
import type { Presence } from './care/presence.js';
import { careRepository } from './care/repository.js';
import { careRoutes } from './care/routes.js';
import type { DatabaseHandle } from './db/connect.js';
import { auditRepository } from './dental/audit.js';
import { dentalRepository } from './dental/repository.js';
import { dentalRoutes } from './dental/routes.js';
import type { AppEnv } from './env.js';
import { errorHandler, notFound } from './errors.js';
import { hasBody } from './has-body.js';
import { idempotencyStore } from './idempotency.js';
import { inSequence } from './in-sequence.js';
import { inputGuard } from './input-guard.js';
import { jobsAdminGuard } from './jobs/admin-guard.js';
import { jobsBoard } from './jobs/board.js';
import type { ClinicalJobs } from './jobs/clinical.js';
import { emailHandler } from './jobs/email.js';
import { MailSink } from './jobs/mail-sink.js';
import type { Metrics } from './metrics.js';
import { openApiHandler } from './openapi.js';
import type { Platform } from './platform.js';
import { requestLogging } from './request-log.js';
import { requestTimeout } from './request-timeout.js';
import { devMailRoutes } from './routes/dev-mail.js';
import { registerHealthRoutes } from './routes/health.js';
import { schoolRepository } from './school/repository.js';
import { schoolRoutes } from './school/routes.js';
import { tokenService } from './school/tokens.js';
import { cors } from './security/cors.js';
import { csrfProtection } from './security/csrf.js';
import { securityHeaders } from './security/headers.js';
import { proxyHeaderWarning } from './security/production-checklist.js';
import type { StatusCollector } from './status/collector.js';
import { docsRoutes } from './status/docs.js';
import { statusGuard } from './status/guard.js';
import { statusRoutes } from './status/routes.js';

export interface AppDependencies {
  env: AppEnv;
  redis: RedisConnection;
  logger: PinoLogger;
  database: DatabaseHandle;
  platform: Platform;
  metrics: Metrics;
  presence: Presence;
  alerts: AlertHub;
  /**
   * The dental and care background jobs (jobs/clinical.ts): their handlers are registered, the
   * routes schedule them; whoever created them stops them at shutdown (server.ts).
   */
  clinical: ClinicalJobs;
  /** The status page's data (`/`, `/status.json`); absent: no status page. */
  status?: StatusCollector;
}

export function createApp({
  env,
  redis,
  logger,
  database,
  platform,
  metrics,
  presence,
  alerts,
  clinical,
  status,
}: AppDependencies): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', env.TRUST_PROXY);
  const production = env.NODE_ENV === 'production';
  // What every request goes through, as one router layer (in-sequence.ts).
  app.use(
    inSequence(
      securityHeaders({ production }),
      requestLogging(app, logger),
      proxyHeaderWarning(env.TRUST_PROXY, logger),
      cors(env.CORS_ORIGINS, env.CORS_CREDENTIALS),
      metrics.httpMiddleware(),
    ),
  );
  // Probes and scrapes answer before the limiter, the body parser and the input guard (the
  // limiters skip them anyway; they take no body and read no query). A POST to them falls
  // through to the parser and the 404 like any unknown route.
  registerHealthRoutes(app, redis, database);
  app.get('/metrics', async (_req, res) => {
    res.setHeader('Content-Type', metrics.registry.contentType);
    res.send(await metrics.registry.metrics());
  });
  // The API routes' global + API limits in one script call (platform.ts), decided where the
  // global limit is; the global limiter below then passes those requests on. The route mounts
  // further down take no `api` limiter of their own: it would only find them decided.
  const { db } = database;
  // One Idempotency-Key store for the routes that take the header (dental bookings, school).
  const idempotency = idempotencyStore(db);
  const dental = dentalRoutes({
    repo: dentalRepository(db),
    cache: platform.caches.dental,
    audit: auditRepository(db),
    sessions: platform.dentalSessions,
    authLimiter: platform.limiters.dentalAuth,
    idempotency,
    ...clinical.dental,
  });
  // The dental and care sessions start loading alongside (`prefetch`), and on dental the cached
  // staff list's read too: their commands leave in one write, one round trip instead of three.
  // Each prefetch calls `next` at once; the session middleware and the route take the loads.
  const dentalPrefetch = platform.dentalSessions.prefetch;
  const carePrefetch = platform.sessions.prefetch;
  app.use(['/dental', '/school', '/care'], (req, res, next) => {
    const limit = () => platform.limiters.api(req, res, next);
    if (req.baseUrl === '/dental') {
      return dentalPrefetch(req, res, () => dental.prefetch(req, res, limit));
    }
    if (req.baseUrl === '/care') return carePrefetch(req, res, limit);
    return limit();
  });
  // Only requests that carry a body (has-body.ts): the parser would skip the others anyway.
  const json = express.json({ limit: '100kb' });
  // One router layer for the four (in-sequence.ts): each layer of its own costs a match, a
  // params object and closures on every request.
  app.use(
    inSequence(
      platform.limiters.global,
      requestTimeout(env.REQUEST_TIMEOUT),
      (req, res, next) => (hasBody(req) ? json(req, res, next) : next()),
      inputGuard,
    ),
  );
  const csrf = csrfProtection({ secret: `csrf:${env.SESSION_SECRET}`, production });
  app.use('/dental', csrf.protect, dental);
  app.use(
    '/school',
    schoolRoutes({
      repo: schoolRepository(db),
      tokens: tokenService(env.JWT_SECRET),
      blacklist: platform.blacklist,
      refreshTokens: platform.refreshTokens,
      cache: platform.caches.school,
      authLimiter: platform.limiters.schoolAuth,
      oneTimeTokens: platform.oneTimeTokens,
      jobs: platform.jobs,
      mailLimiter: platform.mailLimiter,
      signupLimiter: platform.limiters.schoolSignup,
      idempotency,
    }),
  );
  app.use(
    '/care',
    csrf.protect,
    careRoutes({
      repo: careRepository(db),
      sessions: platform.sessions,
      authLimiter: platform.limiters.careAuth,
      cache: platform.caches.care,
      presence,
      alerts,
      metrics,
      ...clinical.care,
    }),
  );
  // The pages and tools beside the API, after it: an API request never enters their routers.
  app.use(csrf.routes);
  app.get('/openapi.json', openApiHandler());
  app.use(docsRoutes({ production }));
  // The `email` queue's worker; outside production what it "sends" is readable at GET /dev/mail.
  const mailSink = new MailSink();
  platform.jobs.handle(
    'email',
    emailHandler({ sink: mailSink, logger: logger.child({ component: 'email' }), production }),
    { concurrency: 5 },
  );
  if (!production) app.use(devMailRoutes(mailSink));
  if (status) {
    const guard = statusGuard({
      production,
      tokens: tokenService(env.JWT_SECRET),
      blacklist: platform.blacklist,
      ...(env.STATUS_TOKEN ? { statusToken: env.STATUS_TOKEN } : {}),
    });
    app.use(statusRoutes(status, guard));
  }

  // bull-board: a dental admin session or a school admin token in production, open in development
  app.use(
    jobsBoard(
      platform.jobs,
      jobsAdminGuard({
        production,
        dentalSessions: platform.dentalSessions,
        schoolAdmin: statusGuard({
          production,
          tokens: tokenService(env.JWT_SECRET),
          blacklist: platform.blacklist,
        }),
      }),
    ),
  );

  app.use(notFound);
  app.use(errorHandler);
  return app;
}
