import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Express, RequestHandler } from 'express';
import type { Logger } from 'pino';
import { pinoHttp } from 'pino-http';
import { isInfraPath } from './infra-paths.js';
import { errSerializer, redactRequest } from './security/log-redaction.js';

/** Probes, scrapes, the status page, the docs and the job board are never logged per request. */
const quiet = (url: string | undefined) => isInfraPath(url?.split('?', 1)[0] ?? '');

const REQUEST_ID = /^[\w-]{1,64}$/;

/**
 * Request ids and request logs. Every request gets an id (`X-Request-Id`, the caller's when it is
 * a well-formed one) and `req.log`, a logger bound to the request (serialized with its query
 * secrets redacted, see log-redaction.ts).
 *
 * pino-http logs each request at `info`. At a level that filters `info` out (warn, error, fatal,
 * silent) it would still build a child logger and serialize `req` on every request only for
 * nothing to be written, so then the request gets its id here and `req.log` is built on first use
 * (an error handler's line) from the same pino-http logger — the lines are the same. The level is
 * read per request: a logger whose level is changed at run time switches path.
 */
export function requestLogging(app: Express, logger: Logger): RequestHandler {
  const genReqId = (req: IncomingMessage, res: ServerResponse) => {
    const incoming = req.headers['x-request-id'];
    const id = typeof incoming === 'string' && REQUEST_ID.test(incoming) ? incoming : randomUUID();
    res.setHeader('x-request-id', id);
    return id;
  };
  const full = pinoHttp({
    logger,
    // `?access_token=…` and friends never reach the log, nor an error's `command.args`
    serializers: { req: redactRequest, err: errSerializer },
    genReqId,
    autoLogging: { ignore: (req) => quiet(req.url) },
  });
  const bound = full.logger;

  // `req.log` on the app's request prototype: built from pino-http's logger (same serializers,
  // same bindings) the first time it is read, kept on the request; pino-http's own assignment
  // (when it runs) makes it a plain property.
  Object.defineProperty(app.request, 'log', {
    configurable: true,
    get(this: { id?: unknown }) {
      const log = bound.child({ req: this });
      Object.defineProperty(this, 'log', { value: log, writable: true, configurable: true });
      return log;
    },
    set(this: object, value: unknown) {
      Object.defineProperty(this, 'log', { value, writable: true, configurable: true });
    },
  });

  return (req, res, next) => {
    if (logger.isLevelEnabled('info')) {
      // pino-http reads `req.log` before it assigns it: an own property stops the lazy getter.
      (req as { log?: unknown }).log = undefined;
      full(req, res, next);
      return;
    }
    req.id = genReqId(req, res);
    next();
  };
}
