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
export {
  TokenInvalidError,
  type TokenInvalidReason,
  TokenReusedError,
  TokensConfigError,
  TokensInputError,
  TokensLimitedError,
  TokensUnavailableError,
} from './tokens/errors.js';
export { createOneTimeTokens, OneTimeTokens } from './tokens/one-time.js';
export { createRefreshTokens, RefreshTokens } from './tokens/refresh.js';
export type {
  IssuanceGate,
  IssuedRefreshToken,
  IssueLimit,
  OneTimePurpose,
  OneTimeTokensOptions,
  RefreshTokensOptions,
  RotatedRefreshToken,
  TokenData,
  TokenGrant,
  TokensPolicy,
  TokensStats,
} from './tokens/types.js';
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
