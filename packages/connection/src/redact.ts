/** What a secret looks like once printed. */
export const MASK = '***';

const USERINFO = /^([a-z][a-z0-9+.-]*:\/\/)([^/?#@]*)@/i;

/**
 * Masks the password of a connection URL: `redis://app:s3cret@host:6379/0` →
 * `redis://app:***@host:6379/0`. Works on malformed URLs too (it never parses them), so it is
 * safe to use on any value before it reaches a log line or an error message.
 */
export function redactUrl(url: string): string {
  return url.replace(USERINFO, (_all, scheme: string, userinfo: string) => {
    const colon = userinfo.indexOf(':');
    if (colon === -1) return `${scheme}${userinfo}@`;
    return `${scheme}${userinfo.slice(0, colon)}:${MASK}@`;
  });
}

/** Replaces every occurrence of each secret (and its URL-encoded form) in `text` with `***`. */
export function redactSecrets(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of secrets) {
    if (!secret) continue;
    for (const form of new Set([secret, encodeURIComponent(secret)])) {
      out = out.split(form).join(MASK);
    }
  }
  return out;
}

/**
 * An error safe to log and to hand to callers: the same error when its message holds no
 * secret, otherwise a copy with the secrets masked (name and code kept, original not attached).
 */
export function redactError(error: Error, secrets: readonly string[]): Error {
  const message = redactSecrets(error.message, secrets);
  if (message === error.message) return error;
  const copy = new Error(message);
  copy.name = error.name;
  const code = (error as { code?: unknown }).code;
  if (code !== undefined) Object.assign(copy, { code });
  return copy;
}
