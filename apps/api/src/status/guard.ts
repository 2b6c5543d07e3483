import { timingSafeEqual } from 'node:crypto';
import type { TokenBlacklist } from '@redis-toolkit/token-blacklist';
import type { RequestHandler } from 'express';
import { InvalidTokenError, type TokenClaims, type TokenService } from '../school/tokens.js';
import { HttpError } from '../validate.js';

const ADMIN_ROLES = new Set(['super_admin', 'school_admin']);

const sameSecret = (a: string, b: string) => {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
};

export interface StatusGuardOptions {
  production: boolean;
  tokens: TokenService;
  blacklist: TokenBlacklist;
  /** `STATUS_TOKEN`: a shared bearer for monitoring tools, accepted besides admin tokens. */
  statusToken?: string;
}

/**
 * The status data in production: the app's own admin check — a school access token of a
 * `super_admin` or `school_admin`, not revoked — or `Authorization: Bearer <STATUS_TOKEN>`.
 * Outside production it is open (the demo needs no login).
 */
export function statusGuard({
  production,
  tokens,
  blacklist,
  statusToken,
}: StatusGuardOptions): RequestHandler {
  if (!production) return (_req, _res, next) => next();
  const header = { 'WWW-Authenticate': 'Bearer' };
  return async (req, _res, next) => {
    const auth = req.headers.authorization ?? '';
    const token = auth.startsWith('Bearer ') ? auth.slice(7).trim() : '';
    if (!token)
      throw new HttpError(
        401,
        'unauthenticated',
        'Send Authorization: Bearer <admin access token or STATUS_TOKEN>',
        header,
      );
    if (statusToken && sameSecret(token, statusToken)) return next();
    let claims: TokenClaims;
    try {
      claims = await tokens.verify(token, 'access');
    } catch (error) {
      if (error instanceof InvalidTokenError)
        throw new HttpError(401, 'unauthenticated', `Token rejected: ${error.message}`, header);
      throw error;
    }
    if (!ADMIN_ROLES.has(claims.role))
      throw new HttpError(403, 'forbidden', 'Requires role super_admin or school_admin');
    if (await blacklist.isRevoked(claims))
      throw new HttpError(401, 'token_revoked', 'Token revoked', header);
    next();
  };
}
