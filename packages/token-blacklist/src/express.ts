import { refuseUnknownOptions } from '@redis-toolkit/connection';
import {
  BlacklistUnavailableError,
  TokenBlacklistConfigError,
  TokenInputError,
  TokenRevokedError,
} from './errors.js';
import type { TokenOrClaims } from './types.js';

/** What the helpers need of a blacklist (structural, so this file does not import the class). */
export interface RevocationChecker {
  isRevoked(token: TokenOrClaims): Promise<boolean>;
  assertCanIssue(): void;
}

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

export interface IssuanceGuardOptions {
  /** Message of the 503 body. */
  message?: string;
}

const optionError = (where: string) => (field: string, message: string) =>
  new TokenBlacklistConfigError(field, message, where);

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

/** The toolkit's error body `{ error: { code, message } }`; 503 with Retry-After, 401 with WWW-Authenticate. */
function reply(
  res: RevocationResponse,
  status: number,
  code: string,
  message: string,
  retryAfterSeconds = 1,
): void {
  if (status === 401) res.setHeader('WWW-Authenticate', `Bearer error="invalid_token"`);
  if (status === 503)
    res.setHeader('Retry-After', String(Math.max(1, Math.ceil(retryAfterSeconds))));
  res.status(status).json({ error: { code, message } });
}

function unavailable(res: RevocationResponse, error: BlacklistUnavailableError, message: string) {
  reply(res, 503, BlacklistUnavailableError.code, message, error.retryAfterSeconds);
}

/**
 * Express middleware: 401 `E_BLACKLIST_REVOKED` for a revoked token, 401 `E_BLACKLIST_INPUT`
 * for input the blacklist cannot read, 503 `E_BLACKLIST_UNAVAILABLE` (+ Retry-After) when
 * undecidable under `onRedisError: 'deny'`. Put it AFTER the middleware that verifies the token.
 */
export function rejectRevoked<Req extends RevocationRequest = RevocationRequest>(
  blacklist: RevocationChecker,
  options: RejectRevokedOptions<Req> = {},
): (req: Req, res: RevocationResponse, next: NextFunction) => Promise<void> {
  refuseUnknownOptions(options, ['getClaims'], optionError('rejectRevoked'));
  const getClaims =
    options.getClaims ?? (defaultGetClaims as (req: Req) => TokenOrClaims | undefined);
  return async (req, res, next) => {
    let claims: TokenOrClaims | undefined;
    try {
      claims = await getClaims(req);
      if (claims === undefined) return next();
      if (await blacklist.isRevoked(claims)) {
        return reply(
          res,
          401,
          TokenRevokedError.code,
          'This token has been revoked; sign in again.',
        );
      }
    } catch (error) {
      if (error instanceof TokenInputError) {
        return reply(res, 401, TokenInputError.code, `The token cannot be read: ${error.message}.`);
      }
      if (error instanceof BlacklistUnavailableError) {
        return unavailable(
          res,
          error,
          'Token revocation cannot be checked right now; retry shortly.',
        );
      }
      return next(error);
    }
    next();
  };
}

/**
 * Express middleware for routes that mint credentials (refresh, login): 503
 * `E_BLACKLIST_UNAVAILABLE` + Retry-After while `assertCanIssue()` refuses.
 */
export function requireCanIssue(
  blacklist: RevocationChecker,
  options: IssuanceGuardOptions = {},
): (req: unknown, res: RevocationResponse, next: NextFunction) => void {
  refuseUnknownOptions(options, ['message'], optionError('requireCanIssue'));
  const message =
    options.message ??
    'New credentials cannot be issued while revocations cannot be checked; retry shortly.';
  return (_req, res, next) => {
    try {
      blacklist.assertCanIssue();
    } catch (error) {
      if (error instanceof BlacklistUnavailableError) return unavailable(res, error, message);
      return next(error);
    }
    next();
  };
}

/** Answers a `BlacklistUnavailableError` or `TokenInputError` caught in your own handler with the toolkit's body; false for anything else. */
export function sendBlacklistError(res: RevocationResponse, error: unknown): boolean {
  if (error instanceof BlacklistUnavailableError) {
    unavailable(res, error, error.message);
    return true;
  }
  if (error instanceof TokenInputError) {
    reply(res, 401, TokenInputError.code, `The token cannot be read: ${error.message}.`);
    return true;
  }
  return false;
}

/** What express-jwt (v7/v8) passes as the decoded token; typed structurally. */
export interface DecodedJwtLike {
  payload?: unknown;
}

/**
 * An `isRevoked(req, token)` callback for express-jwt. Unreadable payloads (e.g. a non-JSON
 * string payload) count as revoked, so they are rejected. Under `onRedisError: 'deny'` an
 * undecidable check throws `BlacklistUnavailableError` (status 503), which express-jwt passes to `next`.
 */
export function expressJwtIsRevoked(
  blacklist: RevocationChecker,
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
