import type { ErrorRequestHandler, NextFunction, Request, RequestHandler, Response } from 'express';
import session from 'express-session';
import {
  isSessionStoreUnavailable,
  SessionInputError,
  SessionStoreUnavailableError,
} from './errors.js';
import { resolveOptions } from './options.js';
import { RedisSessionStore } from './redis-store.js';
import type {
  LoginDetails,
  SessionMiddlewareOptions,
  SessionStats,
  UserSessionInfo,
} from './types.js';

export interface SessionMiddleware extends RequestHandler {
  /** The express-session Store (usable on its own). */
  readonly store: RedisSessionStore;
  /** Regenerates the session id (no fixation), records the user in the session and in the per-user index. */
  login(req: Request, user: { id: string | number }, details?: LoginDetails): Promise<void>;
  /** Destroys the current session (it stays destroyed even if another request is in flight). */
  logout(req: Request, res?: Response): Promise<void>;
  /** The user's live sessions, newest activity first. Pass `req.sessionID` as `current` to flag it. */
  listUserSessions(
    userId: string | number,
    options?: { current?: string },
  ): Promise<UserSessionInfo[]>;
  /** Destroys one of the user's sessions by the `id` shown in `listUserSessions`. */
  revokeSession(userId: string | number, id: string): Promise<boolean>;
  /** Destroys every session of the user except `except` (a session id, e.g. `req.sessionID`, or a listed `id`). */
  revokeUserSessions(userId: string | number, options?: { except?: string }): Promise<number>;
  /** Express error handler answering 503 for `session_store_unavailable` raised inside routes (e.g. by `login`). */
  readonly errorHandler: ErrorRequestHandler;
  stats(): SessionStats;
}

/**
 * Express session middleware on Redis with secure defaults. Mount it once; use the helpers for
 * login, logout and device management.
 */
export function createSessionMiddleware(options: SessionMiddlewareOptions): SessionMiddleware {
  const o = resolveOptions(options);
  const { logger } = o;
  const store = new RedisSessionStore({
    redis: options.redis,
    prefix: o.prefix,
    ttlMs: o.ttlMs,
    tombstoneTtlMs: o.tombstoneTtlMs,
    onRedisError: o.onRedisError,
    commandTimeoutMs: o.commandTimeoutMs,
    cooldownMs: o.cooldownMs,
    memoryMaxSessions: o.memoryMaxSessions,
    activityResolutionMs: o.activityResolutionMs,
    logger,
  });
  const cookie: session.CookieOptions = {
    path: '/',
    httpOnly: true,
    sameSite: 'lax',
    secure: o.production,
    maxAge: o.ttlMs,
    ...options.cookie,
  };
  const inner = session({
    store,
    secret: o.secrets,
    name: o.name,
    cookie,
    rolling: options.rolling ?? false,
    resave: false,
    saveUninitialized: false,
    unset: 'destroy',
    ...(options.trustProxy === undefined ? {} : { proxy: options.trustProxy }),
  });

  const unavailable = (res: Response, error: SessionStoreUnavailableError): void => {
    res
      .status(503)
      .set('Retry-After', String(o.retryAfterSeconds))
      .json({
        error: {
          code: SessionStoreUnavailableError.code,
          message: 'Session store unavailable, retry shortly.',
        },
      });
    logger.debug({ err: error.message }, 'session: answered 503');
  };

  let warnedProxy = false;
  const middleware = (req: Request, res: Response, next: NextFunction): void => {
    if (
      !warnedProxy &&
      cookie.secure === true &&
      options.trustProxy !== true &&
      !req.app?.get('trust proxy') &&
      !(req.socket as { encrypted?: boolean }).encrypted
    ) {
      warnedProxy = true;
      logger.warn(
        "session: cookies are Secure but this request is plain HTTP and Express 'trust proxy' is off, so no session cookie will be set; behind a TLS-terminating proxy call app.set('trust proxy', 1) (or pass trustProxy: true)",
      );
    }
    let passed = false;
    inner(req, res, (error?: unknown) => {
      if (error === undefined || error === null) {
        if (!passed) {
          passed = true;
          next();
        }
        return;
      }
      if (passed || res.headersSent) {
        // A save/touch at the end of the response failed: the response is already going out.
        logger.error(
          { err: (error as Error)?.message },
          'session: could not persist the session after the response',
        );
        return;
      }
      if (isSessionStoreUnavailable(error)) {
        unavailable(res, error);
        return;
      }
      next(error);
    });
  };

  const errorHandler: ErrorRequestHandler = (error, _req, res, next) => {
    if (isSessionStoreUnavailable(error) && !res.headersSent) unavailable(res, error);
    else next(error);
  };

  const login: SessionMiddleware['login'] = async (req, user, details = {}) => {
    if (!req.session)
      throw new SessionInputError(
        'login: req.session is missing; mount the session middleware first',
      );
    const userId = normalizeUserId(user?.id);
    await new Promise<void>((resolve, reject) =>
      req.session.regenerate((err) => (err ? reject(err) : resolve())),
    );
    const ip = details.ip ?? req.ip;
    const userAgent = (details.userAgent ?? req.get('user-agent'))?.slice(0, 256);
    req.session.auth = {
      userId,
      createdAt: Date.now(),
      ...(ip ? { ip } : {}),
      ...(userAgent ? { userAgent } : {}),
    };
    await new Promise<void>((resolve, reject) =>
      req.session.save((err) => (err ? reject(err) : resolve())),
    );
    try {
      await store.indexAdd(req.sessionID, req.session as session.SessionData);
    } catch (error) {
      if (o.onRedisError === 'memory' && isSessionStoreUnavailable(error)) {
        logger.warn(
          'session: logged in while redis is down; this session is missing from the user index',
        );
      } else throw error;
    }
  };

  const logout: SessionMiddleware['logout'] = async (req, res) => {
    if (!req.session) return;
    await new Promise<void>((resolve, reject) =>
      req.session.destroy((err) => (err ? reject(err) : resolve())),
    );
    res?.clearCookie(o.name, {
      path: cookie.path ?? '/',
      ...(cookie.domain ? { domain: cookie.domain } : {}),
    });
  };

  return Object.assign(middleware, {
    store,
    login,
    logout,
    listUserSessions: (userId: string | number, opts?: { current?: string }) =>
      store.listUserSessions(normalizeUserId(userId), opts?.current),
    revokeSession: (userId: string | number, id: string) => {
      if (typeof id !== 'string' || id.length === 0 || id.length > 64) {
        return Promise.reject(
          new SessionInputError('revokeSession: id must be an id from listUserSessions'),
        );
      }
      return store.revokeSession(normalizeUserId(userId), id);
    },
    revokeUserSessions: (userId: string | number, opts?: { except?: string }) =>
      store.revokeUserSessions(normalizeUserId(userId), opts?.except),
    errorHandler,
    stats: () => ({ ...store.stats }),
  });
}

function normalizeUserId(id: unknown): string {
  const s = typeof id === 'number' && Number.isFinite(id) ? String(id) : id;
  if (typeof s !== 'string' || s.length === 0 || s.length > 256) {
    throw new SessionInputError(
      'user id must be a non-empty string (max 256 chars) or a finite number',
    );
  }
  return s;
}
