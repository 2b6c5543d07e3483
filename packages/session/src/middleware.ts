import { logSafeError, type ToolkitListener } from '@redis-toolkit/connection';
import type { ErrorRequestHandler, NextFunction, Request, RequestHandler, Response } from 'express';
import type session from 'express-session';
import { type EarlyLoad, unverifiedCookie } from './early-load.js';
import { SessionInputError, SessionStoreUnavailableError } from './errors.js';
import { sessionLifecycle } from './http/session-lifecycle.js';
import { resolveOptions } from './options.js';
import { SessionStoreImpl } from './store/store.js';
import type {
  LoginDetails,
  RedisSessionStore,
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
  /**
   * Starts this request's session load at once, for the session middleware further down to take:
   * mount it before what runs ahead of the session and talks to Redis (a rate limiter), and their
   * commands leave in one write and come back in one round trip instead of two. Ahead of it
   * nothing else changes: the signature is still checked by the session middleware, and a request
   * answered before it (a 429) only cost the read.
   */
  readonly prefetch: RequestHandler;
  /** Express error handler: 503 for `E_SESSION_UNAVAILABLE`, 400 for `E_SESSION_INVALID_INPUT` raised in routes. */
  readonly errorHandler: ErrorRequestHandler;
  /** Every event of this instance (hit, miss, error, fallback, block, revocation). */
  readonly events: { on(listener: ToolkitListener): () => void };
  stats(): SessionStats;
}

/**
 * Express session middleware on Redis (or memory only, without `redis`) with secure defaults.
 * Mount it once; use the helpers for login, logout and device management.
 */
export function createSessionMiddleware(options: SessionMiddlewareOptions): SessionMiddleware {
  const o = resolveOptions(options);
  const { logger, runtime } = o;
  const store = new SessionStoreImpl(o);
  const cookie: session.CookieOptions = {
    path: '/',
    httpOnly: true,
    sameSite: 'lax',
    secure: o.production,
    maxAge: o.ttlMs,
    ...options.cookie,
  };
  // Keyed by request: a load nobody takes goes with its request.
  const earlyLoads = new WeakMap<Request, EarlyLoad>();
  // express-session's lifecycle with resave: false, saveUninitialized: false, unset: 'destroy'
  const inner = sessionLifecycle({
    store,
    secrets: o.secrets,
    name: o.name,
    cookie,
    rolling: options.rolling ?? false,
    trustProxy: options.trustProxy,
    takeEarly: (req) => {
      const early = earlyLoads.get(req);
      if (early !== undefined) earlyLoads.delete(req);
      return early;
    },
  });

  const answer = (res: Response, error: SessionStoreUnavailableError | SessionInputError): void => {
    const unavailable = error instanceof SessionStoreUnavailableError;
    // The shared rule: seconds until the runtime's next probe, at least 1.
    if (unavailable) res.set('Retry-After', String(runtime ? runtime.retryAfterSeconds() : 1));
    res
      .status(unavailable ? 503 : 400)
      .json({ error: { code: error.code, message: error.message } });
    logger.debug({ err: logSafeError(error).message }, 'session: answered from the policy');
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
        // During an outage that is every request: the runtime has logged the outage once.
        const level = error instanceof SessionStoreUnavailableError ? 'debug' : 'error';
        logger[level](
          { err: logSafeError(error).message },
          'session: could not persist the session after the response',
        );
        return;
      }
      if (error instanceof SessionStoreUnavailableError || error instanceof SessionInputError) {
        answer(res, error);
        return;
      }
      next(error);
    });
  };

  const noop = (): void => {};
  const prefetch: RequestHandler = (req, _res, next) => {
    if (runtime?.available === true && req.session === undefined && !earlyLoads.has(req)) {
      const cookie = unverifiedCookie(req, o.name);
      if (cookie !== undefined) {
        const load = store.read(cookie.sid);
        // observed here too: a request answered before the session middleware never takes it
        load.catch(noop);
        earlyLoads.set(req, { ...cookie, load });
      }
    }
    next();
  };

  const errorHandler: ErrorRequestHandler = (error, _req, res, next) => {
    const ours =
      error instanceof SessionStoreUnavailableError || error instanceof SessionInputError;
    if (ours && !res.headersSent) answer(res, error);
    else next(error);
  };

  const login: SessionMiddleware['login'] = async (req, user, details = {}) => {
    if (!req.session) {
      throw new SessionInputError(
        'login: req.session is missing; mount the session middleware first',
      );
    }
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
    store.markLoginWrite(req.session);
    await new Promise<void>((resolve, reject) =>
      req.session.save((err) => (err ? reject(err) : resolve())),
    );
    await store.indexAdd(req.sessionID, req.session as session.SessionData);
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
    store: store as RedisSessionStore,
    login,
    logout,
    listUserSessions: async (userId: string | number, opts?: { current?: string }) =>
      store.listUserSessions(normalizeUserId(userId), opts?.current),
    revokeSession: async (userId: string | number, id: string) => {
      if (typeof id !== 'string' || id.length === 0 || id.length > 64) {
        throw new SessionInputError('revokeSession: id must be an id from listUserSessions');
      }
      return store.revokeSession(normalizeUserId(userId), id);
    },
    revokeUserSessions: async (userId: string | number, opts?: { except?: string }) =>
      store.revokeUserSessions(normalizeUserId(userId), opts?.except),
    prefetch,
    errorHandler,
    events: { on: (listener: ToolkitListener) => store.events.on(listener) },
    stats: (): SessionStats => ({
      ...store.events.snapshot(),
      ...store.counters,
      memoryEntries: store.memoryEntries,
      redis: runtime ? (runtime.available ? 'up' : 'down') : 'absent',
    }),
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
