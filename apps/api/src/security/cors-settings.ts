import { AppConfigError } from '../env-error.js';

/**
 * `CORS_ORIGINS`: `*` or exact origins (`https://app.example.com,https://admin.example.com`).
 * A wildcard with credentials would let any site act with a signed-in user's cookies: refused in
 * production, a warning elsewhere (and the middleware then never sends credentials to `*`).
 */
export function corsSettings(
  raw: string | undefined,
  credentials: boolean,
  production: boolean,
  warnings: string[],
): '*' | string[] {
  if (!raw?.trim()) return [];
  if (raw.trim() === '*') {
    if (credentials) {
      const message =
        'CORS_ORIGINS=* with CORS_CREDENTIALS=true lets every web site send requests with your users’ cookies: list the origins in CORS_ORIGINS, or set CORS_CREDENTIALS=false';
      if (production) throw new AppConfigError(message);
      warnings.push(`${message} (credentials are not sent to '*')`);
    }
    return '*';
  }
  return raw.split(',').map((entry, index) => {
    const origin = entry.trim();
    let parsed: URL | undefined;
    try {
      parsed = new URL(origin);
    } catch {
      parsed = undefined;
    }
    if (!parsed || parsed.origin !== origin)
      throw new AppConfigError(
        `CORS_ORIGINS entry ${index + 1} ("${origin}") is not an origin: expected scheme://host[:port], no path or trailing slash`,
      );
    return origin;
  });
}
