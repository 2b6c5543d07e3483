import type { SessionMiddleware } from '@redis-toolkit/session';
import type { Request, RequestHandler } from 'express';
import { HttpError } from '../validate.js';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Whether a browser sent this request from this origin: `Sec-Fetch-Site` where the browser sends
 * it, else `Origin` against `Host` (browsers send `Origin` on every non-GET request). Neither
 * header: not a browser (curl, a script), which has no ambient cookie to be tricked into sending.
 */
function sameOrigin(req: Request): boolean {
  const site = req.headers['sec-fetch-site'];
  if (site !== undefined) return site === 'same-origin' || site === 'none';
  const origin = req.headers.origin;
  if (origin === undefined) return true;
  try {
    return new URL(origin).host === req.headers.host;
  } catch {
    return false; // `Origin: null` (a sandboxed or privacy-sensitive context) and anything unparsable
  }
}

export interface JobsAdminGuardOptions {
  production: boolean;
  /** Dental staff sessions: an `admin` signed in with POST /dental/auth/login may use the board. */
  dentalSessions: SessionMiddleware;
  /** The status guard without STATUS_TOKEN: a school admin's access token (for curl and scripts). */
  schoolAdmin: RequestHandler;
}

/**
 * Who may see and act on the job queues (/admin/queues): in production a dental `admin` session
 * (the cookie a browser sends, so the board's own page and API calls work) or a school admin
 * bearer token; never the monitoring STATUS_TOKEN, as the board can retry and delete jobs.
 * Outside production it is open, as the status page is (the demo needs no login).
 */
export function jobsAdminGuard({
  production,
  dentalSessions,
  schoolAdmin,
}: JobsAdminGuardOptions): RequestHandler[] {
  if (!production) return [];
  const decide: RequestHandler = (req, res, next) => {
    const session = req.session as unknown as
      | { auth?: { userId?: string }; staffRole?: string }
      | undefined;
    if (session?.auth?.userId && session.staffRole === 'admin') {
      // The cookie rides along with any request the browser makes to this host, and SameSite=Lax
      // still sends it from a same-site origin (another port, a sibling subdomain): the board's
      // writes (retry, clean, pause, add, obliterate…) must come from the board's own page.
      if (!SAFE_METHODS.has(req.method) && !sameOrigin(req))
        throw new HttpError(
          403,
          'csrf_invalid',
          'The job board only takes writes from its own page (Sec-Fetch-Site / Origin is another origin)',
        );
      return next();
    }
    if (req.headers.authorization) return schoolAdmin(req, res, next);
    if (session?.auth?.userId)
      throw new HttpError(403, 'forbidden', 'The job queues need a dental admin');
    throw new HttpError(
      401,
      'unauthenticated',
      'Sign in as a dental admin (POST /dental/auth/login) or send Authorization: Bearer <school admin access token>',
      { 'WWW-Authenticate': 'Bearer' },
    );
  };
  return [dentalSessions, decide];
}
