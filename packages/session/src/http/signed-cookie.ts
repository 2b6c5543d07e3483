import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * The session cookie's value: `s:<id>.<signature>`, the signature being cookie-signature's
 * (HMAC-SHA256 of the id, base64 without padding), exactly as express-session writes and reads
 * it, so cookies issued by express-session (or by an earlier version of this package) stay valid.
 */
const PREFIX = 's:';

/** The value of cookie `name` in a Cookie header: its first occurrence, URI-decoded. */
export function cookieValue(header: string | undefined, name: string): string | undefined {
  if (header === undefined) return undefined;
  const needle = `${name}=`;
  let at = header.indexOf(needle);
  while (at > 0 && !startsCookie(header, at)) at = header.indexOf(needle, at + 1);
  if (at < 0) return undefined;
  const start = at + needle.length;
  const end = header.indexOf(';', start);
  let value = header.slice(start, end < 0 ? undefined : end).trim();
  if (value.length > 1 && value.charCodeAt(0) === 0x22 && value.endsWith('"')) {
    value = value.slice(1, -1); // a quoted value, as the `cookie` parser reads it
  }
  if (value.includes('%')) {
    try {
      value = decodeURIComponent(value);
    } catch {
      return undefined;
    }
  }
  return value;
}

/**
 * Whether a cookie starts at `at`: only spaces between it and the previous `;` (not the end of a
 * longer name, `xsid=` for `sid`, nor text inside another cookie's value, `a=b sid=c`).
 */
function startsCookie(header: string, at: number): boolean {
  let i = at - 1;
  while (i >= 0 && (header[i] === ' ' || header[i] === '\t')) i--;
  return i < 0 || header[i] === ';';
}

/** The id in a signed value, signature not checked (what `prefetch` may start loading). */
export function unverifiedId(value: string | undefined): string | undefined {
  if (value === undefined || !value.startsWith(PREFIX)) return undefined;
  const dot = value.lastIndexOf('.');
  return dot > PREFIX.length ? value.slice(PREFIX.length, dot) : undefined;
}

const mac = (id: string, secret: string): string =>
  createHmac('sha256', secret).update(id).digest('base64').replace(/=+$/, '');

/** `s:<id>.<signature>` with `secret` (the first of the configured secrets). */
export function signedValue(id: string, secret: string): string {
  return `${PREFIX}${id}.${mac(id, secret)}`;
}

/** A new session id: 24 random bytes, base64url (uid-safe's format, which express-session uses). */
export function newSessionId(): string {
  return randomBytes(24).toString('base64url');
}

/**
 * Reads session ids from signed cookie values. A browser sends the same value on every request
 * of its session, so values whose signature checked out are remembered (up to `remember`, the
 * oldest forgotten first) and the HMAC runs once per value instead of once per request. Only
 * values that verified are remembered: a forged one is checked (and refused) every time, and
 * knowing that a value is remembered tells nothing to someone who does not hold it already.
 */
export class SignedIds {
  private readonly verified = new Map<string, string>();

  constructor(
    private readonly secrets: readonly string[],
    private readonly remember = 10_000,
  ) {}

  /** The id in `value` when one of the secrets signed it, else undefined. */
  idOf(value: string | undefined): string | undefined {
    if (value === undefined || !value.startsWith(PREFIX)) return undefined;
    const known = this.verified.get(value);
    if (known !== undefined) return known;
    const dot = value.lastIndexOf('.');
    if (dot <= PREFIX.length) return undefined;
    const id = value.slice(PREFIX.length, dot);
    const given = Buffer.from(value.slice(dot + 1));
    for (const secret of this.secrets) {
      const expected = Buffer.from(mac(id, secret));
      if (expected.length === given.length && timingSafeEqual(expected, given)) {
        if (this.verified.size >= this.remember) {
          const oldest = this.verified.keys().next().value;
          if (oldest !== undefined) this.verified.delete(oldest);
        }
        this.verified.set(value, id);
        return id;
      }
    }
    return undefined;
  }
}
