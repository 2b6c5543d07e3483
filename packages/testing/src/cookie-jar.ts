interface StoredCookie {
  value: string;
  /** Epoch ms; undefined for a session cookie. */
  expiresAt: number | undefined;
}

/**
 * A one-origin cookie jar: honours Max-Age (which wins over Expires, as in RFC 6265) and
 * deletion by a past expiry, and ignores Path/Domain, since a test talks to one app.
 */
export class CookieJar {
  readonly #cookies = new Map<string, StoredCookie>();

  /** Applies every `Set-Cookie` line of a response. */
  store(setCookieLines: readonly string[], now = Date.now()): void {
    for (const line of setCookieLines) this.#storeOne(line, now);
  }

  get(name: string): string | undefined {
    this.#dropExpired();
    return this.#cookies.get(name)?.value;
  }

  set(name: string, value: string): void {
    this.#cookies.set(name, { value, expiresAt: undefined });
  }

  delete(name: string): void {
    this.#cookies.delete(name);
  }

  clear(): void {
    this.#cookies.clear();
  }

  /** Live cookies as name → value. */
  all(): Record<string, string> {
    this.#dropExpired();
    return Object.fromEntries([...this.#cookies].map(([name, c]) => [name, c.value]));
  }

  /** The `Cookie` request header, or undefined when the jar is empty. */
  header(): string | undefined {
    const pairs = Object.entries(this.all()).map(([name, value]) => `${name}=${value}`);
    return pairs.length > 0 ? pairs.join('; ') : undefined;
  }

  /** A jar with the same cookies that then evolves on its own. */
  copy(): CookieJar {
    const jar = new CookieJar();
    for (const [name, c] of this.#cookies) jar.#cookies.set(name, { ...c });
    return jar;
  }

  #storeOne(line: string, now: number): void {
    const [pair = '', ...attributes] = line.split(';');
    const eq = pair.indexOf('=');
    if (eq <= 0) return;
    const name = pair.slice(0, eq).trim();
    const value = pair.slice(eq + 1).trim();
    let maxAge: number | undefined;
    let expires: number | undefined;
    for (const attribute of attributes) {
      const [rawKey = '', ...rawValue] = attribute.split('=');
      const key = rawKey.trim().toLowerCase();
      const attrValue = rawValue.join('=').trim();
      if (key === 'max-age' && /^-?\d+$/.test(attrValue)) maxAge = Number(attrValue);
      else if (key === 'expires') {
        const parsed = Date.parse(attrValue);
        if (!Number.isNaN(parsed)) expires = parsed;
      }
    }
    const expiresAt = maxAge !== undefined ? now + maxAge * 1000 : expires;
    if (expiresAt !== undefined && expiresAt <= now) this.#cookies.delete(name);
    else this.#cookies.set(name, { value, expiresAt });
  }

  #dropExpired(now = Date.now()): void {
    for (const [name, c] of this.#cookies)
      if (c.expiresAt !== undefined && c.expiresAt <= now) this.#cookies.delete(name);
  }
}
