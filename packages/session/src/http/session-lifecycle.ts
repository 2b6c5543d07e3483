import type {
  CookieOptions as ExpressCookieOptions,
  NextFunction,
  Request,
  Response,
} from 'express';
import session, { type CookieOptions, type SessionData } from 'express-session';
import onHeaders from 'on-headers';
import type { EarlyLoad } from '../early-load.js';
import { cookieValue, newSessionId, SignedIds, signedValue } from './signed-cookie.js';

/**
 * What the lifecycle needs of the store: express-session's Store plus a promise `read`;
 * `generate` is set by the lifecycle (Store#regenerate calls it, as express-session's does).
 */
export type LifecycleStore = session.Store & {
  read(sid: string): Promise<SessionData | null>;
  generate?: (req: Request) => void;
};

export interface LifecycleOptions {
  store: LifecycleStore;
  name: string;
  /** The first signs new cookies; all are accepted. */
  secrets: readonly string[];
  cookie: CookieOptions;
  rolling: boolean;
  /** express-session's `proxy`: undefined follows Express `trust proxy` (`req.secure`). */
  trustProxy: boolean | undefined;
  /** The load `prefetch` started for this request, if any (taken once). */
  takeEarly(req: Request): EarlyLoad | undefined;
}

type Sess = session.Session & Partial<SessionData>;
// The classes behind `req.session` and `req.session.cookie` (constructors private in the types)
const SessionClass = session.Session as unknown as new (req: Request, data?: object) => Sess;
const CookieClass = session.Cookie as unknown as new (options?: CookieOptions) => session.Cookie;
type EndArgs = [chunk?: unknown, encoding?: BufferEncoding | (() => void), done?: () => void];

/**
 * Session data as it is compared between load and end: everything but the cookie, whose expiry
 * moves on every request. express-session hashes `JSON.stringify` with a replacer (a JS call per
 * value) through SHA-1 up to four times a request; the plain JSON of a shallow copy, compared as
 * a string, decides the same.
 */
function snapshot(sess: Sess): string {
  const { cookie: _cookie, ...data } = sess;
  return JSON.stringify(data);
}

/** express-session's rule for "is this request over TLS" (`proxy` option). */
function isSecure(req: Request, trustProxy: boolean | undefined): boolean {
  if ((req.socket as { encrypted?: boolean }).encrypted) return true;
  if (trustProxy === false) return false;
  if (trustProxy !== true) return req.secure === true;
  const header = String(req.headers['x-forwarded-proto'] ?? '');
  const comma = header.indexOf(',');
  return (comma < 0 ? header : header.slice(0, comma)).trim().toLowerCase() === 'https';
}

function originalPathname(req: Request): string {
  const url = req.originalUrl ?? req.url ?? '/';
  const query = url.indexOf('?');
  return (query < 0 ? url : url.slice(0, query)) || '/';
}

/**
 * The request side of sessions: express-session's lifecycle (`resave: false`,
 * `saveUninitialized: false`, `unset: 'destroy'`, `rolling` as configured), decided the same
 * way, on express-session's own `Session` and `Cookie` classes, so `req.session` behaves as it
 * always has. What it does differently is only cheaper: the one cookie is read out of the header
 * (not the whole header parsed), a signature that verified is not verified again, the store is
 * read through its promise API, and "was the session changed" compares one JSON string instead
 * of up to four SHA-1 hashes of a replacer-driven stringify.
 */
export function sessionLifecycle(o: LifecycleOptions) {
  const { store, name, cookie: cookieOptions, rolling } = o;
  const ids = new SignedIds(o.secrets);
  const signWith = o.secrets[0] ?? '';
  const cookiePath = cookieOptions.path ?? '/';
  const autoSameSite = (cookieOptions as { sameSite?: unknown }).sameSite === 'auto';

  // Called by express-session's Store#regenerate and by the lifecycle for a new session.
  const generateOn = (req: Request): void => {
    req.sessionID = newSessionId();
    req.session = new SessionClass(req);
    req.session.cookie = new CookieClass(cookieOptions);
    if (cookieOptions.secure === 'auto') req.session.cookie.secure = isSecure(req, o.trustProxy);
    if (autoSameSite) {
      req.session.cookie.sameSite = isSecure(req, o.trustProxy) ? 'none' : 'lax';
    }
  };
  store.generate = generateOn;
  const sessionStore = store as unknown as Request['sessionStore'];

  return function lifecycle(req: Request, res: Response, next: NextFunction): void {
    if (req.session) {
      next();
      return;
    }
    if (cookiePath !== '/' && !originalPathname(req).startsWith(cookiePath)) {
      next();
      return;
    }
    let originalHash: string | undefined;
    let originalId: string | undefined;
    let savedHash: string | undefined;
    let touched = false;
    req.sessionStore = sessionStore;
    const early = o.takeEarly(req);
    const cookieId = ids.idOf(early ? early.value : cookieValue(req.headers.cookie, name));
    // express-session's type says string; an absent cookie leaves it undefined until generate
    req.sessionID = cookieId as string;

    const isModified = (sess: Sess) => originalId !== sess.id || originalHash !== snapshot(sess);
    const isSaved = (sess: Sess) => originalId === sess.id && savedHash === snapshot(sess);
    const shouldDestroy = () => Boolean(req.sessionID) && req.session == null;
    const shouldSave = () => {
      if (typeof req.sessionID !== 'string') return false;
      return !savedHash && cookieId !== req.sessionID
        ? isModified(req.session)
        : !isSaved(req.session);
    };
    const shouldTouch = () => typeof req.sessionID === 'string' && cookieId === req.sessionID;
    const shouldSetCookie = () => {
      if (typeof req.sessionID !== 'string') return false;
      return cookieId !== req.sessionID
        ? isModified(req.session)
        : rolling || (req.session.cookie.expires != null && isModified(req.session));
    };

    onHeaders(res, () => {
      if (!req.session || !shouldSetCookie()) return;
      if (req.session.cookie.secure && !isSecure(req, o.trustProxy)) return;
      if (!touched) {
        req.session.touch();
        touched = true;
      }
      // Cookie#data: the attributes express-session serializes (`secure: 'auto'` resolved by now)
      const data = (req.session.cookie as unknown as { data: ExpressCookieOptions }).data;
      try {
        // res.cookie: cookie.serialize, appended to any Set-Cookie already there
        res.cookie(name, signedValue(req.sessionID, signWith), data);
      } catch (error) {
        setImmediate(() => next(error));
      }
    });

    // The answer waits for the save (or touch, or destroy): a client cannot send its next
    // request before the session it changed is written. Its last byte is held back meanwhile.
    const end = res.end as (this: Response, ...args: EndArgs) => Response;
    const write = res.write as (this: Response, ...args: EndArgs) => boolean;
    let ended = false;
    res.end = function endAfterSession(this: Response, ...args: EndArgs): Response {
      if (ended) return this;
      ended = true;
      let [chunk, encoding, done] = args;
      if (typeof encoding === 'function') {
        done = encoding;
        encoding = undefined;
      }
      let sync = true;
      const finish = () => {
        if (sync) {
          end.call(res, chunk, encoding, done);
          sync = false;
          return;
        }
        end.call(res, done);
      };
      const holdBack = (): Response => {
        if (!sync) return res;
        if (!res.headersSent) (res as Response & { _implicitHeader(): void })._implicitHeader();
        if (chunk == null) return res;
        const contentLength = Number(res.getHeader('Content-Length'));
        if (!Number.isNaN(contentLength) && contentLength > 0) {
          const bytes = Buffer.isBuffer(chunk)
            ? chunk
            : Buffer.from(String(chunk), typeof encoding === 'string' ? encoding : undefined);
          encoding = undefined;
          if (bytes.length !== 0) {
            write.call(res, bytes.subarray(0, bytes.length - 1));
            chunk = bytes.subarray(bytes.length - 1);
            return res;
          }
          chunk = bytes;
        }
        write.call(res, chunk, encoding);
        sync = false;
        return res;
      };
      const after = (error?: unknown) => {
        if (error) setImmediate(() => next(error));
        finish();
      };

      if (shouldDestroy()) {
        store.destroy(req.sessionID, after);
        return holdBack();
      }
      if (!req.session) return end.apply(res, args);
      if (!touched) {
        req.session.touch();
        touched = true;
      }
      if (shouldSave()) {
        req.session.save(after);
        return holdBack();
      }
      if (shouldTouch() && store.touch) {
        store.touch(req.sessionID, req.session as SessionData, after);
        return holdBack();
      }
      return end.apply(res, args);
    } as typeof res.end;

    const wrapMethods = (sess: Sess) => {
      const reload = sess.reload;
      const save = sess.save;
      Object.defineProperty(sess, 'reload', {
        configurable: true,
        enumerable: false,
        writable: true,
        value: function reloadAndRewrap(this: Sess, callback: (err?: unknown) => void) {
          reload.call(this, (err?: unknown) => {
            if (req.session !== sess) wrapMethods(req.session);
            callback(err);
          });
          return this;
        },
      });
      Object.defineProperty(sess, 'save', {
        configurable: true,
        enumerable: false,
        writable: true,
        value: function saveAndRecord(this: Sess, callback?: (err?: unknown) => void) {
          savedHash = snapshot(this);
          save.call(this, callback);
          return this;
        },
      });
    };
    const generate = () => {
      generateOn(req);
      originalId = req.sessionID;
      originalHash = snapshot(req.session);
      wrapMethods(req.session);
    };

    if (!req.sessionID) {
      generate();
      next();
      return;
    }
    // the prefetched load only for the id the signature vouched for
    const load = early?.sid === req.sessionID ? early.load : store.read(req.sessionID);
    load.then(
      (sess) => {
        try {
          if (!sess) generate();
          else {
            store.createSession(req, sess);
            originalId = req.sessionID;
            originalHash = snapshot(req.session);
            savedHash = originalHash;
            wrapMethods(req.session);
          }
        } catch (error) {
          next(error);
          return;
        }
        next();
      },
      (error: unknown) => next(error),
    );
  };
}
