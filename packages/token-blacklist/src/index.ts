export { createTokenBlacklist, TokenBlacklist } from './blacklist.js';
export {
  errors,
  RevocationUnavailableError,
  TokenBlacklistConfigError,
  TokenInputError,
  type TokenInputErrorCode,
} from './errors.js';
export {
  bearerToken,
  type DecodedJwtLike,
  expressJwtIsRevoked,
  type NextFunction,
  type RejectRevokedOptions,
  type RevocationRequest,
  type RevocationResponse,
  rejectRevoked,
} from './express.js';
export type {
  CheckResult,
  MirrorOptions,
  OnRedisError,
  RevokeAllResult,
  RevokeResult,
  TokenBlacklistEvents,
  TokenBlacklistOptions,
  TokenBlacklistStats,
  TokenOrClaims,
} from './types.js';
