import type { TokenBlacklist } from './blacklist.js';
import { RevocationUnavailableError, TokenInputError } from './errors.js';
import type { TokenOrClaims } from './types.js';

/** The parts of an Express (4 or 5) request this package reads. Typed structurally: no runtime or type dependency on express. */
export interface RevocationRequest {
  headers: Record<string, string | string[] | undefined>;
  /** Set by express-jwt (`requestProperty` default). */
  auth?: unknown;
}

/** The parts of an Express response this package writes. */
export interface RevocationResponse {
  status(code: number): RevocationResponse;
  json(body: unknown): unknown;
  setHeader(name: string, value: string): unknown;
}

export type NextFunction = (error?: unknown) => void;

export interface RejectRevokedOptions<Req extends RevocationRequest = RevocationRequest> {
  /**
   * Returns the verified claims (or the raw token) of the request, or undefined when the request
   * carries none (it is then passed on: authentication is not this middleware's job).
   * Default: `req.auth` (express-jwt) when it is an object, else the Bearer token of the
   * Authorization header.
   */
  getClaims?: (req: Req) => TokenOrClaims | undefined | Promise<TokenOrClaims | undefined>;
}

export function bearerToken(req: RevocationRequest): string | undefined {
  const header = req.headers.authorization;
  if (typeof header !== 'string') return undefined;
  const match = /^Bearer[ ]+([^\s]+)\s*$/i.exec(header);
  return match?.[1];
}

function defaultGetClaims(req: RevocationRequest): TokenOrClaims | undefined {
  if (req.auth && typeof req.auth === 'object') return req.auth as TokenOrClaims;
  return bearerToken(req);
}

function reply(res: RevocationResponse, status: number, code: string, message: string): void {
  if (status === 401) res.setHeader('WWW-Authenticate', `Bearer error="invalid_token"`);
  if (status === 503) res.setHeader('Retry-After', '1');
  res.status(status).json({ error: { code, message } });
}

/**
 * Express middleware: 401 `token_revoked` for a revoked token, 401 `token_invalid` for input
 * the blacklist cannot read, 503 `revocation_unavailable` when undecidable under
 * `onRedisError: 'deny'`. Put it AFTER the middleware that verifies the token.
 */
export function rejectRevoked<Req extends RevocationRequest = RevocationRequest>(
  blacklist: TokenBlacklist,
  options: RejectRevokedOptions<Req> = {},
): (req: Req, res: RevocationResponse, next: NextFunction) => Promise<void> {
  const getClaims =
    options.getClaims ?? (defaultGetClaims as (req: Req) => TokenOrClaims | undefined);
  return async (req, res, next) => {
    let claims: TokenOrClaims | undefined;
    try {
      claims = await getClaims(req);
      if (claims === undefined) return next();
      if (await blacklist.isRevoked(claims)) {
        return reply(res, 401, 'token_revoked', 'This token has been revoked; sign in again.');
      }
    } catch (error) {
      if (error instanceof TokenInputError) {
        return reply(res, 401, 'token_invalid', `The token cannot be read: ${error.message}.`);
      }
      if (error instanceof RevocationUnavailableError) {
        return reply(
          res,
          503,
          'revocation_unavailable',
          'Token revocation cannot be checked right now; retry shortly.',
        );
      }
      return next(error);
    }
    next();
  };
}

/** What express-jwt (v7/v8) passes as the decoded token; typed structurally. */
export interface DecodedJwtLike {
  payload?: unknown;
}

/**
 * An `isRevoked(req, token)` callback for express-jwt. Unreadable payloads (e.g. a non-JSON
 * string payload) count as revoked, so they are rejected. Under `onRedisError: 'deny'` an
 * undecidable check throws `RevocationUnavailableError` (status 503), which express-jwt passes to `next`.
 */
export function expressJwtIsRevoked(
  blacklist: TokenBlacklist,
): (req: unknown, token: DecodedJwtLike | undefined) => Promise<boolean> {
  return async (_req, token) => {
    const payload = token?.payload;
    if (!payload || typeof payload !== 'object' || Array.isArray(payload)) return true;
    try {
      return await blacklist.isRevoked(payload as TokenOrClaims);
    } catch (error) {
      if (error instanceof TokenInputError) return true;
      throw error;
    }
  };
}
