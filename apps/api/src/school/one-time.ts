import type { OneTimePurpose } from '@redis-toolkit/token-blacklist';

/**
 * The school's one-time links. A verification link lives a day, a reset link an hour (and a new
 * one voids the older ones: only the latest e-mail works), an invitation a week.
 */
export const SCHOOL_TOKEN_PURPOSES = {
  'email-verify': { ttl: '24h' },
  'password-reset': { ttl: '1h', single: true },
  invite: { ttl: '7d' },
} as const satisfies Record<string, OneTimePurpose>;

export type SchoolTokenPurpose = keyof typeof SCHOOL_TOKEN_PURPOSES;
