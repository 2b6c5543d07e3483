/**
 * Replies meaning "the server is there but cannot serve right now" — the command did not run, or
 * ran on a node that is no longer the master. Every other reply error (WRONGTYPE, a script error,
 * ERR syntax) is the caller's problem and passes through without touching the connection's health.
 */
const UNAVAILABLE_REPLY =
  /^(CLUSTERDOWN|LOADING|TRYAGAIN|MASTERDOWN|BUSY|READONLY|NOREPLICAS|MISCONF|ASK|MOVED)\b/;

const CONNECTION_ERROR_NAMES = new Set([
  'MaxRetriesPerRequestError',
  'ClusterAllFailedError',
  'AbortError',
  'RedisUnavailableError',
]);
const CONNECTION_ERROR_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ECONNABORTED',
  'EAI_AGAIN',
  'NR_CLOSED',
]);
const CONNECTION_MESSAGE =
  /Connection is closed|Stream isn't writeable|enableOfflineQueue|offline queue|Failed to refresh slots cache|sentinel|Reached the max retries|Command timed out|connect E|socket (hang up|closed)|write after end/i;

/**
 * True for errors that say Redis is unavailable: a reply meaning "cannot serve now", or what
 * ioredis raises when the connection is gone. Anything else — a caller's bug, a library's usage
 * error ("Custom Id cannot contain :") — is the caller's problem: it passes through and leaves
 * the health alone (a hung server is still caught by the deadline).
 */
export function isAvailabilityError(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  if (error.name === 'ReplyError') return UNAVAILABLE_REPLY.test(error.message);
  if (CONNECTION_ERROR_NAMES.has(error.name)) return true;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' && CONNECTION_ERROR_CODES.has(code)) return true;
  return CONNECTION_MESSAGE.test(error.message);
}

export function isNoScript(error: unknown): boolean {
  return error instanceof Error && error.message.startsWith('NOSCRIPT');
}

export function isReadonly(error: unknown): boolean {
  return error instanceof Error && error.message.startsWith('READONLY');
}
