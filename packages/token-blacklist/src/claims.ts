import { createHash } from 'node:crypto';
import { encodeKeySegment } from '@redis-toolkit/connection';
import { decodeJwt } from 'jose';
import { TokenInputError } from './errors.js';

/** A token reference reduced to what the blacklist needs; built from untrusted input. */
export interface TokenRef {
  /** Storage id of the token: `j:<jti>`, `j#<sha256(jti)>` or `t#<sha256(token)>`; undefined when neither is available. */
  readonly id: string | undefined;
  /** Storage id of the subject (`s:<sub>` or `s#<sha256(sub)>`), undefined without `sub`. */
  readonly userId: string | undefined;
  /** `exp` in milliseconds, when present. */
  readonly expMs: number | undefined;
  /** `iat` in milliseconds, when present. */
  readonly iatMs: number | undefined;
}

const MAX_CLAIM_LENGTH = 1024;
/** Year 5138 in seconds: anything larger is not a plausible NumericDate. */
const MAX_NUMERIC_DATE = 1e11;
/** Longer ids are stored as their SHA-256, so a key stays short whatever the input. */
const MAX_READABLE = 128;

export function sha256(value: string): string {
  return createHash('sha256').update(value).digest('base64url');
}

/**
 * Encodes an untrusted identifier for use inside a key: `encodeKeySegment` (braces, globs,
 * separators and control characters percent-encoded) up to 128 characters, else its SHA-256.
 * The two forms cannot collide (`:` vs `#`).
 */
export function encodeId(kind: 'j' | 's', value: string): string {
  return value.length <= MAX_READABLE
    ? `${kind}:${encodeKeySegment(value)}`
    : `${kind}#${sha256(value)}`;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function stringClaim(
  claims: Record<string, unknown>,
  name: 'jti' | 'sub',
  code: 'invalid_jti' | 'invalid_sub',
): string | undefined {
  const value = claims[name];
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || value.length === 0 || value.length > MAX_CLAIM_LENGTH) {
    throw new TokenInputError(
      code,
      `claim \`${name}\` must be a non-empty string of at most ${MAX_CLAIM_LENGTH} characters`,
    );
  }
  return value;
}

function dateClaim(
  claims: Record<string, unknown>,
  name: 'exp' | 'iat',
  code: 'invalid_exp' | 'invalid_iat',
): number | undefined {
  const value = claims[name];
  if (value === undefined) return undefined;
  if (
    typeof value !== 'number' ||
    !Number.isFinite(value) ||
    value < 0 ||
    value > MAX_NUMERIC_DATE
  ) {
    throw new TokenInputError(
      code,
      `claim \`${name}\` must be a NumericDate (seconds since epoch)`,
    );
  }
  return Math.round(value * 1000);
}

/**
 * Reads a compact JWT or a claims object WITHOUT verifying anything: verification (signature,
 * issuer, audience, expiry) is the caller's job and must happen before a check is trusted.
 * Throws `TokenInputError` for anything unusable; never throws anything else.
 */
export function toTokenRef(input: unknown, maxTokenLength: number): TokenRef {
  let claims: Record<string, unknown>;
  let tokenHash: string | undefined;
  if (typeof input === 'string') {
    if (input.length > maxTokenLength) {
      throw new TokenInputError(
        'token_too_large',
        `token is ${input.length} characters; the limit is ${maxTokenLength} (option maxTokenLength)`,
      );
    }
    try {
      claims = decodeJwt(input) as Record<string, unknown>;
    } catch {
      throw new TokenInputError(
        'malformed_token',
        'token is not a compact JWT with a JSON payload',
      );
    }
    tokenHash = `t#${sha256(input)}`;
  } else if (isPlainObject(input)) {
    claims = input;
  } else {
    throw new TokenInputError(
      'invalid_input',
      `expected a compact JWT string or a claims object, got ${input === null ? 'null' : Array.isArray(input) ? 'an array' : typeof input}`,
    );
  }
  const jti = stringClaim(claims, 'jti', 'invalid_jti');
  const sub = stringClaim(claims, 'sub', 'invalid_sub');
  return {
    id: jti !== undefined ? encodeId('j', jti) : tokenHash,
    userId: sub !== undefined ? encodeId('s', sub) : undefined,
    expMs: dateClaim(claims, 'exp', 'invalid_exp'),
    iatMs: dateClaim(claims, 'iat', 'invalid_iat'),
  };
}

/** Validates a subject passed to `revokeAllForUser`. */
export function toUserId(sub: unknown): string {
  if (typeof sub !== 'string' || sub.length === 0 || sub.length > MAX_CLAIM_LENGTH) {
    throw new TokenInputError(
      'invalid_sub',
      `sub must be a non-empty string of at most ${MAX_CLAIM_LENGTH} characters`,
    );
  }
  return encodeId('s', sub);
}
