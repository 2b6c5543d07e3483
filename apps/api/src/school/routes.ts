import { type Cache, defineKeys } from '@redis-toolkit/cache';
import type { Limiter } from '@redis-toolkit/rate-limit';
import {
  bearerToken,
  type OneTimeTokens,
  type RefreshTokens,
  type TokenBlacklist,
  TokenInvalidError,
  TokenReusedError,
  TokenRevokedError,
  TokensUnavailableError,
} from '@redis-toolkit/token-blacklist';
import { type Request, type RequestHandler, Router } from 'express';
import { decodeJwt } from 'jose';
import { cached, invalidate } from '../cached.js';
import { verifyPassword } from '../db/password.js';
import type { SchoolRole } from '../db/schema.js';
import type { IdempotencyStore } from '../idempotency.js';
import type { AppJobQueues } from '../jobs/app-jobs.js';
import { body, HttpError, params } from '../validate.js';
import { accountRoutes } from './account-routes.js';
import type { SchoolTokenPurpose } from './one-time.js';
import type { SchoolRepository } from './repository.js';
import {
  gradeBody,
  loginBody,
  logoutBody,
  permissionsBody,
  refreshBody,
  roleParams,
} from './schemas.js';
import { InvalidTokenError, type TokenClaims, type TokenService } from './tokens.js';

/** `role:{name}` (1 h) and `dashboard:{role}:{id}` (5 min), under the cache's `school:` prefix. */
const role = defineKeys('role', { byName: (name: SchoolRole) => [name] });
const dashboard = defineKeys('dashboard', {
  of: (name: SchoolRole, userId: number) => [name, userId],
});
export const SchoolKeys = { role: role.byName, dashboard: dashboard.of } as const;

export const SchoolTags = {
  role: (name: SchoolRole) => `role:${name}`,
  /** Every dashboard of a role (they show the role's permissions). */
  roleDashboards: (name: SchoolRole) => `dashboards:${name}`,
  /** School-wide aggregates (admin, staff dashboards). */
  allGrades: 'grades:all',
  teacher: (id: number) => `teacher:${id}`,
  student: (id: number) => `student:${id}`,
  parent: (id: number) => `parent:${id}`,
} as const;

declare global {
  namespace Express {
    interface Request {
      /** Verified access-token claims (school routes). */
      auth?: TokenClaims;
    }
  }
}

export interface SchoolDeps {
  repo: SchoolRepository;
  tokens: TokenService;
  blacklist: TokenBlacklist;
  /** Rotation and reuse detection of the refresh tokens (`createRefreshTokens`). */
  refreshTokens: RefreshTokens;
  /** Absent with `CACHE_ENABLED=false`. */
  cache?: Cache | undefined;
  authLimiter: RequestHandler;
  /** E-mail verification, password-reset and invite tokens. */
  oneTimeTokens: OneTimeTokens<SchoolTokenPurpose>;
  /** The `email` queue. */
  jobs: Pick<AppJobQueues, 'add'>;
  /** E-mails per recipient; absent with RATE_LIMIT_ENABLED=false. */
  mailLimiter: Limiter | undefined;
  /** Signups per client address. */
  signupLimiter: RequestHandler;
  /** First answers of signup, password-reset and invite requests sent with an Idempotency-Key. */
  idempotency: IdempotencyStore;
}

/**
 * Revoking the rotation families is a second line: the blacklist's revocation of the refresh JWT
 * (or the user's cut-off) already refuses them, and it has an outbox, so a logout during an
 * outage still succeeds.
 */
const ignoreOutage = (error: unknown): void => {
  if (!(error instanceof TokensUnavailableError)) throw error;
};

const unauthorized = (message: string) =>
  new HttpError(401, 'unauthenticated', message, { 'WWW-Authenticate': 'Bearer' });

/**
 * School: JWT access (15 min) + refresh (7 d) tokens with `jti`, refresh rotation with reuse
 * detection, logout / logout-all through the token blacklist, roles and dashboards cached.
 */
export function schoolRoutes(deps: SchoolDeps): Router {
  const { repo, tokens, blacklist, refreshTokens, cache, authLimiter } = deps;
  const router = Router();

  const authenticate: RequestHandler = async (req, _res, next) => {
    const token = bearerToken(req);
    if (!token) throw unauthorized('Send Authorization: Bearer <access token>');
    try {
      req.auth = await tokens.verify(token, 'access');
    } catch (error) {
      if (error instanceof InvalidTokenError)
        throw unauthorized(`Access token rejected: ${error.message}`);
      throw error;
    }
    next();
  };
  // 401 token_revoked for a revoked jti or a token issued before the user's logout-all.
  const authenticated = [authenticate, blacklist.rejectRevoked()];
  const claims = (req: Request): TokenClaims => {
    if (!req.auth) throw unauthorized('Not signed in');
    return req.auth;
  };
  const requireRole =
    (...allowed: SchoolRole[]): RequestHandler =>
    (req, _res, next) => {
      if (!allowed.includes(claims(req).role))
        throw new HttpError(403, 'forbidden', `Requires role ${allowed.join(' or ')}`);
      next();
    };

  const getRole = async (name: SchoolRole, res: Parameters<RequestHandler>[1]) => {
    const found = await cached(
      res,
      cache,
      SchoolKeys.role(name),
      async () => (await repo.getRole(name)) ?? null,
      {
        ttl: '1h',
        tags: [SchoolTags.role(name)],
      },
    );
    if (!found) throw new HttpError(404, 'not_found', 'Role not found');
    return found;
  };

  /**
   * The blacklist compares a user's logout-all cut-off with `iat`, which has 1 s resolution, and
   * errs on the safe side: a token issued in the same second as a cut-off counts as revoked. So
   * a user signing in right after "log out everywhere" (or after refresh-token reuse) would get a
   * dead token; wait for the next second instead (only on that rare path).
   */
  const issueUsable = async (userId: number, userRole: SchoolRole, rotating: string) => {
    for (let attempt = 0; ; attempt++) {
      const pair = await tokens.issue(userId, userRole, rotating);
      const check = await blacklist.check(decodeJwt(pair.accessToken) as TokenClaims);
      if (!check.revoked || attempt === 2) return pair;
      await new Promise((resolve) => setTimeout(resolve, 1_005 - (Date.now() % 1_000)));
    }
  };

  // No new credentials while revocation state is unknown (an outage, or its outbox not yet
  // replayed): 503 E_BLACKLIST_UNAVAILABLE + Retry-After from the blacklist itself.
  const canIssue = blacklist.requireCanIssue();

  // canIssue first: a refused login never checks a password, so it must not spend the budget.
  router.post('/auth/login', canIssue, authLimiter, async (req, res) => {
    const { email, password } = body(req, loginBody);
    const user = await repo.findUserByEmail(email);
    if (!user || !(await verifyPassword(password, user.passwordHash))) {
      throw new HttpError(401, 'invalid_credentials', 'Wrong e-mail or password');
    }
    const { token: rotating } = await refreshTokens.issue(String(user.id));
    res.json({
      ...(await issueUsable(user.id, user.role, rotating)),
      user: { id: user.id, name: user.name, role: user.role },
    });
  });

  // No login limiter here: a refresh token is a signed 256-bit-jti JWT, not a guessable secret.
  router.post('/auth/refresh', canIssue, async (req, res) => {
    const { refreshToken } = body(req, refreshBody);
    let old: TokenClaims;
    try {
      old = await tokens.verify(refreshToken, 'refresh');
    } catch (error) {
      if (error instanceof InvalidTokenError)
        throw unauthorized(`Refresh token rejected: ${error.message}`);
      throw error;
    }
    const revoked = () =>
      new HttpError(401, TokenRevokedError.code, 'Refresh token has been revoked; sign in again');
    // Logged out (its jti) or logged out everywhere (its user's cut-off).
    if ((await blacklist.check(old)).revoked || typeof old.rt !== 'string') throw revoked();
    let next: Awaited<ReturnType<RefreshTokens['rotate']>>;
    try {
      // Atomic across instances: the presented token is single-use from here on.
      next = await refreshTokens.rotate(old.rt);
    } catch (error) {
      if (error instanceof TokenReusedError) {
        // A rotated-away refresh token came back: it was stolen or replayed. Its family is
        // revoked by the package; end every session of the user too.
        await blacklist.revokeAllForUser(old.sub);
        throw revoked();
      }
      if (error instanceof TokenInvalidError) throw revoked();
      throw error; // TokensUnavailableError: 503 + Retry-After
    }
    if (next.subject !== old.sub) throw revoked();
    const user = await repo.getUser(Number(old.sub));
    if (!user) throw unauthorized('User no longer exists');
    res.json(await issueUsable(user.id, user.role, next.token));
  });

  router.post('/auth/logout', ...authenticated, async (req, res) => {
    const { refreshToken } = body(req, logoutBody);
    const access = claims(req);
    await blacklist.revoke(access);
    if (refreshToken) {
      const refresh = await tokens.verify(refreshToken, 'refresh').catch(() => undefined);
      if (refresh && refresh.sub === access.sub) {
        await blacklist.revoke(refresh);
        if (refresh.rt) await refreshTokens.revoke(refresh.rt).catch(ignoreOutage);
      }
    }
    res.status(204).end();
  });

  router.post('/auth/logout-all', ...authenticated, async (req, res) => {
    const result = await blacklist.revokeAllForUser(claims(req).sub);
    await refreshTokens.revokeAllForSubject(claims(req).sub).catch(ignoreOutage);
    res.json({ revokedBefore: result.revoked ? new Date(result.cutoff).toISOString() : null });
  });

  router.get('/me', ...authenticated, async (req, res) => {
    const user = await repo.getUser(Number(claims(req).sub));
    if (!user) throw new HttpError(404, 'not_found', 'User not found');
    res.json({ ...user, permissions: (await getRole(user.role, res)).permissions });
  });

  router.get('/roles/:name', ...authenticated, async (req, res) => {
    const { name } = params(req, roleParams);
    res.json(await getRole(name, res));
  });

  router.put(
    '/roles/:name/permissions',
    ...authenticated,
    requireRole('super_admin'),
    async (req, res) => {
      const { name } = params(req, roleParams);
      const { permissions } = body(req, permissionsBody);
      const updated = await repo.updateRolePermissions(name, permissions);
      if (!updated) throw new HttpError(404, 'not_found', 'Role not found');
      await invalidate(cache, [SchoolTags.role(name), SchoolTags.roleDashboards(name)]);
      res.json(updated);
    },
  );

  router.get('/dashboard', ...authenticated, async (req, res) => {
    const { role: roleName, sub } = claims(req);
    const userId = Number(sub);
    const tags: string[] = [SchoolTags.roleDashboards(roleName)];
    if (roleName === 'teacher') tags.push(SchoolTags.teacher(userId));
    else if (roleName === 'student') tags.push(SchoolTags.student(userId));
    else if (roleName === 'parent') tags.push(SchoolTags.parent(userId));
    else tags.push(SchoolTags.allGrades);
    const dashboard = await cached(
      res,
      cache,
      SchoolKeys.dashboard(roleName, userId),
      async () => {
        const [data, roleInfo] = await Promise.all([
          repo.dashboard(roleName, userId),
          repo.getRole(roleName),
        ]);
        return {
          role: roleName,
          userId,
          permissions: roleInfo?.permissions ?? [],
          ...data,
          generatedAt: new Date().toISOString(),
        };
      },
      { ttl: '5m', tags },
    );
    res.json(dashboard);
  });

  router.post(
    '/grades',
    ...authenticated,
    requireRole('teacher', 'school_admin', 'super_admin'),
    async (req, res) => {
      const { studentId, classId, score } = body(req, gradeBody);
      const auth = claims(req);
      const klass = await repo.classExists(classId);
      if (!klass) throw new HttpError(404, 'not_found', 'Class not found');
      if (auth.role === 'teacher' && klass.teacherId !== Number(auth.sub)) {
        throw new HttpError(403, 'forbidden', 'You do not teach this class');
      }
      if (!(await repo.isEnrolled(studentId, classId))) {
        throw new HttpError(422, 'not_enrolled', 'The student is not enrolled in this class');
      }
      const grade = await repo.recordGrade(studentId, classId, score);
      const affected = await repo.dashboardsAffectedByGrade(studentId, classId);
      await invalidate(cache, [
        SchoolTags.allGrades,
        SchoolTags.student(studentId),
        ...(affected.teacherId !== undefined ? [SchoolTags.teacher(affected.teacherId)] : []),
        ...affected.parentIds.map(SchoolTags.parent),
      ]);
      res.status(201).json(grade);
    },
  );

  // The account routes take the same dependencies and this router's authentication.
  router.use(accountRoutes({ ...deps, authenticated, claims }));

  return router;
}
