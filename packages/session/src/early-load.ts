import type { Request } from 'express';
import type { SessionData } from 'express-session';
import { cookieValue, unverifiedId } from './http/signed-cookie.js';

/**
 * A session load started before the session middleware, waiting to be taken by it. `sid` is read
 * from the cookie `value` with its signature not checked: the lifecycle checks it before it uses
 * anything, and takes the load only for that very id, so a forged cookie costs one read whose
 * result nobody sees. `value` is kept so that the cookie header is read once per request.
 */
export interface EarlyLoad {
  sid: string;
  value: string;
  load: Promise<SessionData | null>;
}

/** The session cookie's value and the id in it (signature not checked), or undefined. */
export function unverifiedCookie(
  req: Request,
  name: string,
): { sid: string; value: string } | undefined {
  const value = cookieValue(req.headers.cookie, name);
  const sid = unverifiedId(value);
  return value !== undefined && sid !== undefined ? { sid, value } : undefined;
}

/** The session id in the cookie `name`, signature not checked. */
export function unverifiedSessionId(req: Request, name: string): string | undefined {
  return unverifiedCookie(req, name)?.sid;
}
