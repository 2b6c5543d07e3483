import type { Field } from './fields.js';
import { checkHost, fail } from './fields.js';

export interface ParsedRedisUrl {
  tls: boolean;
  host: string;
  port: number;
  username?: string;
  password?: string;
  db?: number;
}

const EXPECTED = 'a URL like redis[s]://[user[:password]@]host[:port][/db]';

/**
 * Parses `redis://` and `rediss://` URLs. User and password are URL-decoded; the path holds the
 * database number (`/3`). Query strings and fragments are refused rather than silently ignored.
 */
export function parseRedisUrl(field: Field): ParsedRedisUrl {
  if (typeof field.value !== 'string') return fail(field, EXPECTED);
  let url: URL;
  try {
    url = new URL(field.value.trim());
  } catch (error) {
    return fail(field, EXPECTED, error);
  }
  if (url.protocol !== 'redis:' && url.protocol !== 'rediss:') return fail(field, EXPECTED);
  if (url.search || url.hash) return fail(field, `${EXPECTED} (no query string or fragment)`);
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  if (!host) return fail(field, EXPECTED);
  checkHost(field, host, EXPECTED);
  const port = url.port ? Number(url.port) : 6379;
  if (!Number.isInteger(port) || port < 1 || port > 65535) return fail(field, EXPECTED);
  let db: number | undefined;
  const path = url.pathname.replace(/^\//, '');
  if (path !== '') {
    if (!/^\d{1,9}$/.test(path))
      return fail(field, `${EXPECTED} (db must be a non-negative integer)`);
    db = Number(path);
  }
  let username: string | undefined;
  let password: string | undefined;
  try {
    username = url.username ? decodeURIComponent(url.username) : undefined;
    password = url.password ? decodeURIComponent(url.password) : undefined;
  } catch (error) {
    return fail(field, `${EXPECTED} (user and password percent-encoded)`, error);
  }
  return { tls: url.protocol === 'rediss:', host, port, username, password, db };
}
