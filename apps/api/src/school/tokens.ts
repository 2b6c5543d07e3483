import { randomUUID } from 'node:crypto';
import { errors as joseErrors, jwtVerify, SignJWT } from 'jose';
import type { SchoolRole } from '../db/schema.js';

export const ACCESS_TOKEN_TTL_SECONDS = 15 * 60;
export const REFRESH_TOKEN_TTL_SECONDS = 7 * 24 * 60 * 60;
const ISSUER = 'redis-toolkit-school';

export interface TokenClaims {
  sub: string;
  jti: string;
  iat: number;
  exp: number;
  role: SchoolRole;
  typ: 'access' | 'refresh';
  /** Refresh tokens only: the opaque rotating token of `@redis-toolkit/token-blacklist`'s `createRefreshTokens`. */
  rt?: string;
}

export interface TokenPair {
  accessToken: string;
  refreshToken: string;
  tokenType: 'Bearer';
  expiresIn: number;
}

export class InvalidTokenError extends Error {
  override name = 'InvalidTokenError';
  readonly status = 401;
}

/**
 * HS256 access (15 min) and refresh (7 days) tokens, each with its own `jti` so it can be revoked
 * alone. The refresh JWT carries the opaque rotating token (`rt`) that `createRefreshTokens`
 * rotates and checks for reuse; the signature only says who issued it.
 */
export function tokenService(secret: string) {
  const key = new TextEncoder().encode(secret);
  const sign = (
    userId: number,
    role: SchoolRole,
    typ: 'access' | 'refresh',
    ttl: number,
    extra: { rt?: string } = {},
  ) =>
    new SignJWT({ role, typ, ...extra })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject(String(userId))
      .setJti(randomUUID())
      .setIssuer(ISSUER)
      .setIssuedAt()
      .setExpirationTime(`${ttl}s`)
      .sign(key);
  return {
    /** `rotating`: the token from `refreshTokens.issue()` / `.rotate()`, sealed into the refresh JWT. */
    async issue(userId: number, role: SchoolRole, rotating: string): Promise<TokenPair> {
      const [accessToken, refreshToken] = await Promise.all([
        sign(userId, role, 'access', ACCESS_TOKEN_TTL_SECONDS),
        sign(userId, role, 'refresh', REFRESH_TOKEN_TTL_SECONDS, { rt: rotating }),
      ]);
      return {
        accessToken,
        refreshToken,
        tokenType: 'Bearer',
        expiresIn: ACCESS_TOKEN_TTL_SECONDS,
      };
    },
    async verify(token: string, typ: 'access' | 'refresh'): Promise<TokenClaims> {
      try {
        const { payload } = await jwtVerify(token, key, { issuer: ISSUER, algorithms: ['HS256'] });
        if (payload.typ !== typ) throw new InvalidTokenError(`expected a ${typ} token`);
        return payload as unknown as TokenClaims;
      } catch (error) {
        if (error instanceof InvalidTokenError) throw error;
        const message = error instanceof joseErrors.JWTExpired ? 'token expired' : 'invalid token';
        throw new InvalidTokenError(message);
      }
    },
  };
}

export type TokenService = ReturnType<typeof tokenService>;
