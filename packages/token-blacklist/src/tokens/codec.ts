import { createHash, randomBytes } from 'node:crypto';
import { TokensInputError } from './errors.js';
import type { TokenData } from './types.js';

const PART = /^[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43}$/;
const MAX_SUBJECT = 1024;
const MAX_DATA = 16_384;

/**
 * A token is `<tag>.<secret>`: 22 base64url characters that route it (the subject's digest for a
 * one-time token, the family id for a refresh token) and 32 random bytes. The tag lets the
 * holder's key be found in its Cluster slot without a lookup, and reveals nothing about the
 * subject. Only `sha256(token)` is ever stored.
 */
export function newToken(tag: string): string {
  return `${tag}.${randomBytes(32).toString('base64url')}`;
}

/** The routing tag of a well-formed token, or undefined (anything else is untrusted garbage). */
export function tagOf(token: unknown): string | undefined {
  if (typeof token !== 'string' || !PART.test(token)) return undefined;
  return token.slice(0, 22);
}

export function tokenHash(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

/** 132 bits of the subject's SHA-256: the subject never appears in a key or a token. */
export function subjectTag(subject: string): string {
  return createHash('sha256').update(subject).digest('base64url').slice(0, 22);
}

export function newFamilyId(): string {
  return randomBytes(16).toString('base64url');
}

export function checkSubject(subject: unknown): string {
  if (typeof subject !== 'string' || subject.length === 0 || subject.length > MAX_SUBJECT) {
    throw new TokensInputError(
      `subject must be a non-empty string of at most ${MAX_SUBJECT} characters`,
    );
  }
  return subject;
}

/** What a token record holds: `{ s: subject, d?: data }` as JSON. */
export function encodeRecord(subject: string, data: TokenData | undefined): string {
  let text: string;
  try {
    text = JSON.stringify(data === undefined ? { s: subject } : { s: subject, d: data });
  } catch (error) {
    throw new TokensInputError('data must be JSON-serialisable', { cause: error });
  }
  if (text.length > MAX_DATA) {
    throw new TokensInputError(`data must be at most ${MAX_DATA} characters as JSON`);
  }
  return text;
}

export function decodeRecord(text: string): { subject: string; data: TokenData | undefined } {
  const parsed = JSON.parse(text) as { s: string; d?: TokenData };
  return { subject: parsed.s, data: parsed.d };
}

/** Key layout under `{prefix}tokens:`; every key of one subject (or family) shares a hash tag. */
export function oneTimeKeys(namespace: string, purpose: string, tag: string) {
  const base = `${namespace}${purpose}:{${tag}}`;
  return {
    /** Set of the live token hashes of this subject. */
    subject: base,
    /** Prefix of one token's key: `<tokenPrefix><sha256 hex>` (the scripts build the same from `subject`). */
    tokenPrefix: `${base}:t:`,
    /** Issue counter of the current `issueLimit.per` window. */
    counter: `${base}:n`,
  };
}

export function refreshKeys(namespace: string) {
  return {
    family: (familyId: string) => `${namespace}refresh:{${familyId}}`,
    subject: (tag: string) => `${namespace}refresh:s:{${tag}}`,
  };
}
