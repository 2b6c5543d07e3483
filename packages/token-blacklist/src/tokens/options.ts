import {
  durationOption,
  type ResolvedDurability,
  type ResolvedShared,
  refuseUnknownOptions,
  resolveDurability,
  resolveSharedOptions,
  SHARED_OPTION_NAMES,
} from '@redis-toolkit/connection';
import { TokensConfigError } from './errors.js';
import type {
  IssuanceGate,
  IssueLimit,
  OneTimeTokensOptions,
  RefreshTokensOptions,
  TokensPolicy,
} from './types.js';

/** Options after validation (internal). */
interface ResolvedBase extends ResolvedShared<TokensPolicy> {
  durability: ResolvedDurability;
}

export interface ResolvedPurpose {
  ttlMs: number;
  single: boolean;
  limit: { max: number; perMs: number } | undefined;
}

export interface ResolvedOneTime extends ResolvedBase {
  purposes: Map<string, ResolvedPurpose>;
}

export interface ResolvedRefresh extends ResolvedBase {
  ttlMs: number;
  blacklist: IssuanceGate | undefined;
  issueDuringOutage: boolean;
}

const PURPOSE = /^[A-Za-z0-9_-]{1,64}$/;
const SPEC = {
  policies: ['deny'] as TokensPolicy[],
  defaultPolicy: 'deny' as const,
  defaultMaxMemoryEntries: 100_000,
};

function positive(
  value: unknown,
  field: string,
  fallbackMs: number,
  make: (f: string, m: string) => Error,
) {
  const ms = durationOption(value, field, fallbackMs, make);
  if (ms <= 0) throw make(field, `${field} must be greater than 0`);
  return ms;
}

function limitOption(
  value: IssueLimit | false | undefined,
  field: string,
  fallback: ResolvedPurpose['limit'],
  make: (f: string, m: string) => Error,
): ResolvedPurpose['limit'] {
  if (value === undefined) return fallback;
  if (value === false) return undefined;
  refuseUnknownOptions(value, ['max', 'per'], make, field);
  if (!Number.isInteger(value.max) || value.max <= 0) {
    throw make(`${field}.max`, `${field}.max must be a whole number > 0`);
  }
  if (value.per === undefined) throw make(`${field}.per`, `${field}.per is required`);
  return { max: value.max, perMs: positive(value.per, `${field}.per`, 0, make) };
}

export function resolveOneTime(input: OneTimeTokensOptions): ResolvedOneTime {
  const make = (field: string, message: string) =>
    new TokensConfigError('createOneTimeTokens', field, message);
  refuseUnknownOptions(
    input,
    [...SHARED_OPTION_NAMES, 'purposes', 'issueLimit', 'durability'],
    make,
  );
  const shared = resolveSharedOptions('tokens', input, SPEC, make);
  const fallback = limitOption(input.issueLimit, 'issueLimit', { max: 5, perMs: 3_600_000 }, make);
  const raw = input.purposes as unknown;
  if (!raw || typeof raw !== 'object' || Object.keys(raw).length === 0) {
    throw make(
      'purposes',
      "purposes must name at least one purpose, e.g. { 'email-verify': { ttl: '24h' } }",
    );
  }
  const purposes = new Map<string, ResolvedPurpose>();
  for (const [name, spec] of Object.entries(input.purposes)) {
    const field = `purposes.${name}`;
    if (!PURPOSE.test(name) || name === 'refresh') {
      throw make(
        field,
        `purpose names are 1–64 letters, digits, - or _, and not "refresh" (got ${JSON.stringify(name)})`,
      );
    }
    refuseUnknownOptions(spec, ['ttl', 'single', 'issueLimit'], make, field);
    if (spec?.ttl === undefined) throw make(`${field}.ttl`, `${field}.ttl is required`);
    if (spec.single !== undefined && typeof spec.single !== 'boolean') {
      throw make(`${field}.single`, `${field}.single must be a boolean`);
    }
    purposes.set(name, {
      ttlMs: positive(spec.ttl, `${field}.ttl`, 0, make),
      single: spec.single ?? false,
      limit: limitOption(spec.issueLimit, `${field}.issueLimit`, fallback, make),
    });
  }
  return { ...shared, durability: resolveDurability(input.durability, make), purposes };
}

export function resolveRefresh(input: RefreshTokensOptions): ResolvedRefresh {
  const make = (field: string, message: string) =>
    new TokensConfigError('createRefreshTokens', field, message);
  refuseUnknownOptions(
    input,
    [...SHARED_OPTION_NAMES, 'ttl', 'blacklist', 'issueDuringOutage', 'durability'],
    make,
  );
  const shared = resolveSharedOptions('tokens', input, SPEC, make);
  const blacklist = input.blacklist;
  if (
    blacklist !== undefined &&
    typeof (blacklist as { canIssue?: unknown }).canIssue !== 'function'
  ) {
    throw make('blacklist', 'blacklist must be a TokenBlacklist (something with canIssue())');
  }
  if (input.issueDuringOutage !== undefined && typeof input.issueDuringOutage !== 'boolean') {
    throw make('issueDuringOutage', 'issueDuringOutage must be a boolean');
  }
  return {
    ...shared,
    durability: resolveDurability(input.durability, make),
    ttlMs: positive(input.ttl, 'ttl', 30 * 86_400_000, make),
    blacklist,
    issueDuringOutage: input.issueDuringOutage ?? false,
  };
}
