/**
 * Replies meaning "the server is there but cannot serve right now" — the command did not run, or
 * ran on a node that is no longer the master. Every other reply error (WRONGTYPE, a script error,
 * ERR syntax) is the caller's problem and passes through without touching the connection's health.
 */
const UNAVAILABLE_REPLY =
  /^(CLUSTERDOWN|LOADING|TRYAGAIN|MASTERDOWN|BUSY|READONLY|NOREPLICAS|MISCONF|ASK|MOVED)\b/;

/** True for errors that say Redis is unavailable, false for errors that say the call itself is wrong. */
export function isAvailabilityError(error: unknown): boolean {
  if (!(error instanceof Error)) return true;
  if (error.name === 'ReplyError') return UNAVAILABLE_REPLY.test(error.message);
  // A bug in the caller (a huge argument list, a bad value) is not an outage of the server.
  if (
    error instanceof TypeError ||
    error instanceof RangeError ||
    error instanceof SyntaxError ||
    error instanceof ReferenceError
  ) {
    return false;
  }
  // Connection closed, MaxRetriesPerRequestError, ClusterAllFailedError, ECONNREFUSED, stream not writeable…
  return true;
}

export function isNoScript(error: unknown): boolean {
  return error instanceof Error && error.message.startsWith('NOSCRIPT');
}

export function isReadonly(error: unknown): boolean {
  return error instanceof Error && error.message.startsWith('READONLY');
}
