import type { Request } from 'express';
import type { SessionData } from 'express-session';
import { cookieValue, unverifiedId } from './http/signed-cookie.js';

/** A session load started before the session middleware, waiting to be taken by it. */
export interface EarlyLoad {
  sid: string;
  load: Promise<SessionData | null>;
}

/**
 * The session id in the cookie `name`, signature not checked: the session middleware checks it
 * before it asks the store for anything, and the store only hands an early load to a request for
 * that very id, so a forged cookie costs one read whose result nobody sees.
 */
export function unverifiedSessionId(req: Request, name: string): string | undefined {
  return unverifiedId(cookieValue(req.headers.cookie, name));
}
