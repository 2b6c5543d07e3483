import type { SessionMiddleware } from '@redis-toolkit/session';
import type { RequestHandler } from 'express';
import { HttpError } from '../validate.js';

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
    if (session?.auth?.userId && session.staffRole === 'admin') return next();
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
