import type { SessionMiddleware } from '@redis-toolkit/session';
import type { Request, RequestHandler, Router } from 'express';
import { verifyPassword } from '../db/password.js';
import { body, HttpError, params } from '../validate.js';
import { dentalLoginBody, dentalSessionParams } from './auth-schemas.js';
import { allowed, type DentalRole, type DentalRoute, isDentalRole } from './permissions.js';
import type { DentalRepository } from './repository.js';

/** Fields this app keeps in a dental session, next to the package's reserved `auth`. */
interface DentalSessionFields {
  staffName?: string;
  staffRole?: string;
}
const extras = (req: Request) => req.session as unknown as DentalSessionFields;

export interface StaffIdentity {
  id: number;
  name: string;
  role: DentalRole;
}

/** The signed-in staff member, or a 401 (no session, or a session from before the role existed). */
export function staffOf(req: Request): StaffIdentity {
  const userId = req.session?.auth?.userId;
  const role = req.session ? extras(req).staffRole : undefined;
  if (!userId || !isDentalRole(role))
    throw new HttpError(401, 'unauthenticated', 'Sign in first: POST /dental/auth/login');
  return { id: Number(userId), name: extras(req).staffName ?? '', role };
}

/** Every /dental route after login: a session (401) in a role the permission table lists (403). */
export function allow(route: DentalRoute): RequestHandler {
  return (req, _res, next) => {
    const staff = staffOf(req);
    if (!allowed(route, staff.role))
      throw new HttpError(403, 'forbidden', `A ${staff.role} may not call ${route}`);
    next();
  };
}

export const requireStaff: RequestHandler = (req, _res, next) => {
  staffOf(req);
  next();
};

/**
 * Staff sign-in on the session package: a new session id at login (no fixation), the staff
 * member's device index, logout and revocation through its durable destroy (they stick across
 * a failover). Added to the dental router itself rather than mounted as a router of their own:
 * every dental request walks past them, and a nested router costs its entry and exit on each.
 */
export function addDentalAuthRoutes(
  router: Router,
  {
    repo,
    sessions,
    authLimiter,
  }: {
    repo: DentalRepository;
    sessions: SessionMiddleware;
    authLimiter: RequestHandler;
  },
): void {
  router.post('/auth/login', authLimiter, async (req, res) => {
    const { email: address, password } = body(req, dentalLoginBody);
    const staff = await repo.findStaffByEmail(address);
    // The same answer and about the same time for an unknown e-mail: no account enumeration.
    const ok = await verifyPassword(password, staff?.passwordHash ?? DUMMY_HASH);
    if (!staff || !ok || !isDentalRole(staff.role))
      throw new HttpError(401, 'invalid_credentials', 'Wrong e-mail or password');
    await sessions.login(req, { id: String(staff.id) });
    extras(req).staffName = staff.name;
    extras(req).staffRole = staff.role;
    res.json({ staff: { id: staff.id, name: staff.name, email: staff.email, role: staff.role } });
  });

  router.post('/auth/logout', allow('POST /auth/logout'), async (req, res) => {
    await sessions.logout(req, res);
    res.status(204).end();
  });

  router.get('/auth/me', allow('GET /auth/me'), (req, res) => {
    const staff = staffOf(req);
    const auth = req.session.auth;
    res.json({
      staff,
      session: {
        createdAt: auth ? new Date(auth.createdAt).toISOString() : null,
        expiresAt: req.session.cookie.expires ?? null,
      },
    });
  });

  router.get('/auth/sessions', allow('GET /auth/sessions'), async (req, res) => {
    const list = await sessions.listUserSessions(String(staffOf(req).id), {
      current: req.sessionID,
    });
    res.json({ items: list });
  });

  router.delete('/auth/sessions/:id', allow('DELETE /auth/sessions/:id'), async (req, res) => {
    const { id: handle } = params(req, dentalSessionParams);
    if (!(await sessions.revokeSession(String(staffOf(req).id), handle)))
      throw new HttpError(404, 'not_found', 'No such session for this staff member');
    res.status(204).end();
  });
}

/** A well-formed scrypt hash no password matches, verified for unknown e-mails. */
const DUMMY_HASH = 'scrypt$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA';
