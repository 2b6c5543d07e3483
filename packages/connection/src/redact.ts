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

/**
 * Replaces each secret (and its URL-encoded form) in `text` with `***` where it stands as a token
 * of its own — not inside a longer word, so a password `cause` never turns `because` into
 * `be***` while `AUTH cause`, `:cause@` and `"cause"` are still masked.
 */
export function redactSecrets(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of secrets) {
    if (!secret) continue;
    for (const form of new Set([secret, safeEncode(secret)])) {
      const escaped = form.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'); // `u` flag: no `\-`
      out = out.replace(
        new RegExp(`(?<![\\p{L}\\p{N}_])${escaped}(?![\\p{L}\\p{N}_])`, 'gu'),
        MASK,
      );
    }
  }
  return out;
}

function safeEncode(text: string): string {
  try {
    return encodeURIComponent(text);
  } catch {
    return text; // a lone surrogate cannot be URL-encoded; the raw form is masked anyway
  }
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
