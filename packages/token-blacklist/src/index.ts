export { createTokenBlacklist, TokenBlacklist } from './blacklist.js';
export {
  BlacklistUnavailableError,
  errors,
  TokenBlacklistConfigError,
  TokenInputError,
  type TokenInputReason,
  TokenRevokedError,
} from './errors.js';
export {
  bearerToken,
  type DecodedJwtLike,
  expressJwtIsRevoked,
  type IssuanceGuardOptions,
  type NextFunction,
  type RejectRevokedOptions,
  type RevocationChecker,
  type RevocationRequest,
  type RevocationResponse,
  rejectRevoked,
  requireCanIssue,
  sendBlacklistError,
} from './express.js';
export type {
  BlacklistPolicy,
  CheckResult,
  MirrorOptions,
  RevokeAllResult,
  RevokeResult,
  TokenBlacklistOptions,
  TokenBlacklistStats,
  TokenOrClaims,
} from './types.js';
