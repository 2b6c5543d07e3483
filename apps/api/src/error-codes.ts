/**
 * The app's error codes in the toolkit's form, `E_API_<WHAT>` (`not_found` → `E_API_NOT_FOUND`),
 * so every body — the app's and the packages' — reads `{ error: { code: 'E_…', message } }`.
 * A code that already is one (`E_BLACKLIST_REVOKED`) is kept.
 */
export function apiCode(name: string): string {
  if (/^E_[A-Z0-9_]+$/.test(name)) return name;
  return `E_API_${name.replace(/[^A-Za-z0-9]+/g, '_').toUpperCase()}`;
}

/** The body of every error the app sends. */
export function errorBody(code: string, message: string) {
  return { error: { code: apiCode(code), message } };
}
