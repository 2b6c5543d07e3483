import { readFileSync } from 'node:fs';
import type { HostPort } from './config-types.js';
import { DURATION_FORM, durationToMs } from './duration.js';
import { RedisConfigError } from './errors.js';
import { MASK, redactUrl } from './redact.js';

/** One input value with the name it is reported under (`REDIS_PORT` or `port`). */
export interface Field {
  label: string;
  value: unknown;
  /** Never shown: reported as `***`. */
  secret?: boolean;
  /** A URL: shown with its password masked. */
  url?: boolean;
}

/** Empty strings (and whitespace-only strings) count as unset. */
export function isSet(field: Field | undefined): field is Field {
  if (!field || field.value === undefined || field.value === null) return false;
  return !(typeof field.value === 'string' && field.value.trim() === '');
}

/** The value as it may appear in an error message: secrets masked, long values cut. */
export function shown(field: Field): string {
  if (field.secret) return MASK;
  const { value } = field;
  let text: string;
  if (typeof value === 'string') text = field.url ? redactUrl(value) : value;
  else if (typeof value === 'object') text = safeJson(value);
  else text = String(value);
  return text.length > 120 ? `${text.slice(0, 117)}...` : text;
}

function safeJson(value: unknown): string {
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

export function fail(field: Field, expected: string, cause?: unknown): never {
  throw new RedisConfigError(field.label, isSet(field) ? shown(field) : undefined, expected, {
    cause,
  });
}

const TRUE = new Set(['true', '1', 'yes', 'on']);
const FALSE = new Set(['false', '0', 'no', 'off']);
const BOOL_FORM = 'one of true, false, 1, 0, yes, no, on, off';

export function readBool(field: Field): boolean {
  const { value } = field;
  if (typeof value === 'boolean') return value;
  if (typeof value === 'string') {
    const v = value.trim().toLowerCase();
    if (TRUE.has(v)) return true;
    if (FALSE.has(v)) return false;
  }
  return fail(field, BOOL_FORM);
}

export function readInt(field: Field, min: number, max: number, expected: string): number {
  const { value } = field;
  let n = Number.NaN;
  if (typeof value === 'number') n = value;
  else if (typeof value === 'string' && /^\s*\d+\s*$/.test(value)) n = Number(value);
  if (!Number.isSafeInteger(n) || n < min || n > max) return fail(field, expected);
  return n;
}

export const readPort = (field: Field): number =>
  readInt(field, 1, 65535, 'an integer port 1-65535');

export const readMs = (field: Field, min = 1): number =>
  readInt(field, min, 3_600_000, `an integer number of milliseconds ${min}-3600000`);

/** How a millisecond bound reads in an error message: `1ms`, `50ms`, `1h`. */
const showMs = (ms: number): string =>
  ms >= 3_600_000 && ms % 3_600_000 === 0
    ? `${ms / 3_600_000}h`
    : ms >= 1000 && ms % 1000 === 0
      ? `${ms / 1000}s`
      : `${ms}ms`;

/**
 * A `Duration` (the toolkit's rule: a number or a bare numeric string is seconds, a string may
 * carry a unit: `'500ms'`, `'2s'`, `'1m'`), returned in milliseconds, between `min` and `max` ms.
 */
export function readDuration(field: Field, min = 1, max = 3_600_000): number {
  const ms = durationToMs(field.value);
  if (ms === undefined || ms < min || ms > max) {
    return fail(field, `${DURATION_FORM}, from ${showMs(min)} to ${showMs(max)}`);
  }
  return ms;
}

export function readString(field: Field, expected = 'a non-empty string'): string {
  if (typeof field.value !== 'string') return fail(field, expected);
  return field.value.trim();
}

/** A name with no whitespace (user names, master names). */
export function readName(field: Field, expected: string): string {
  const v = readString(field, expected);
  if (/\s/.test(v)) return fail(field, expected);
  return v;
}

/** Passwords are kept verbatim (not trimmed), but a non-string is still an error. */
export function readSecret(field: Field): string {
  if (typeof field.value !== 'string') return fail(field, 'a string');
  return field.value;
}

const HOST = /^[A-Za-z0-9._-]+$/;
const IPV6 = /^[0-9A-Fa-f:.]+(%[A-Za-z0-9._-]+)?$/;

export function checkHost(field: Field, host: string, expected: string): string {
  if (HOST.test(host) || (host.includes(':') && IPV6.test(host))) return host;
  return fail(field, expected);
}

const PREFIX_EXPECTED =
  'a key prefix without glob characters (* ? [ ] \\) or whitespace, e.g. "dental:"';

/** Prefixes end up in SCAN MATCH patterns, so anything that would widen a pattern is refused. */
export function readKeyPrefix(field: Field): string {
  if (typeof field.value !== 'string') return fail(field, PREFIX_EXPECTED);
  const v = field.value;
  if (/[*?[\]\\\s]/.test(v) || v.length > 200) return fail(field, PREFIX_EXPECTED);
  return v;
}

/**
 * `host:port,host:port` (or an array of `{host, port}`); IPv6 hosts in brackets: `[::1]:7000`.
 * A missing port means `defaultPort`.
 */
export function readHostPorts(field: Field, defaultPort: number, what: string): HostPort[] {
  const expected = `a comma-separated list of ${what} as host:port (IPv6 as [::1]:port)`;
  const { value } = field;
  if (Array.isArray(value)) {
    if (value.length === 0) return fail(field, expected);
    return value.map((item: unknown) => {
      const entry = item as Partial<HostPort> | null;
      if (!entry || typeof entry.host !== 'string' || typeof entry.port !== 'number') {
        return fail(field, expected);
      }
      const host = entry.host.replace(/^\[(.*)\]$/, '$1');
      checkHost(field, host, expected);
      if (!Number.isInteger(entry.port) || entry.port < 1 || entry.port > 65535)
        return fail(field, expected);
      return { host, port: entry.port };
    });
  }
  if (typeof value !== 'string') return fail(field, expected);
  const parts = value.split(',').map((p) => p.trim());
  if (parts.some((p) => p === '')) return fail(field, expected);
  return parts.map((part) => {
    const match = /^\[([^\]]+)\](?::(\d+))?$/.exec(part) ?? /^([^:[\]]+)(?::(\d+))?$/.exec(part);
    if (!match) return fail(field, expected);
    const host = checkHost(field, match[1] ?? '', expected);
    const port = match[2] === undefined ? defaultPort : Number(match[2]);
    if (!Number.isInteger(port) || port < 1 || port > 65535) return fail(field, expected);
    return { host, port };
  });
}

/** Reads a PEM file named by `field`; a missing or unreadable file is a config error naming it. */
export function readPemFile(field: Field): string {
  const path = readString(field, 'a readable file path');
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    const reason = (error as { code?: string }).code ?? 'unreadable';
    return fail(field, `a readable PEM file (${reason})`, error);
  }
}
