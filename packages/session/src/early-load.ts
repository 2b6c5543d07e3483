import type { Request } from 'express';
import type { SessionData } from 'express-session';

/** A session load started before the session middleware, waiting to be taken by it. */
export interface EarlyLoad {
  sid: string;
  load: Promise<SessionData | null>;
}

/**
 * The session id in the cookie `name`, signature not checked: express-session checks it before it
 * asks the store for anything, and the store only hands an early load to a request for that very
 * id, so a forged cookie costs one read whose result nobody sees. Values look like
 * `s:<id>.<signature>`, URI-encoded (`s%3A…`).
 */
export function unverifiedSessionId(req: Request, name: string): string | undefined {
  const header = req.headers.cookie;
  if (header === undefined) return undefined;
  const needle = `${name}=`;
  let at = header.indexOf(needle);
  // a cookie boundary, not the end of a longer name (`xsid=` for `sid`)
  while (at > 0 && header[at - 1] !== ' ' && header[at - 1] !== ';') {
    at = header.indexOf(needle, at + 1);
  }
  if (at < 0) return undefined;
  const start = at + needle.length;
  const end = header.indexOf(';', start);
  let value = header.slice(start, end < 0 ? undefined : end).trim();
  if (value.includes('%')) {
    try {
      value = decodeURIComponent(value);
    } catch {
      return undefined;
    }
  }
  if (!value.startsWith('s:')) return undefined;
  const dot = value.lastIndexOf('.');
  return dot > 2 ? value.slice(2, dot) : undefined;
}
