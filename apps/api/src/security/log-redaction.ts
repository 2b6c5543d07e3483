/** Query parameters that carry credentials (OAuth codes, bearer tokens, signatures). */
const SECRET_PARAM =
  /^(access_token|refresh_token|id_token|token|code|password|secret|api_key|apikey|key|signature|sig|auth|session|jwt)$|_token$/i;

/** `/x?access_token=eyJ…&page=2` → `/x?access_token=***&page=2`: the log never holds a credential. */
export function redactUrl(url: string): string {
  const q = url.indexOf('?');
  if (q < 0) return url;
  const parts = url
    .slice(q + 1)
    .split('&')
    .map((pair) => {
      const eq = pair.indexOf('=');
      const rawName = eq < 0 ? pair : pair.slice(0, eq);
      let name = rawName;
      try {
        name = decodeURIComponent(rawName.replace(/\+/g, ' '));
      } catch {
        // an ill-encoded name is compared as sent
      }
      return eq >= 0 && SECRET_PARAM.test(name) ? `${rawName}=***` : pair;
    });
  return `${url.slice(0, q)}?${parts.join('&')}`;
}

/** The same for a parsed query object (pino-http's serialized `req.query`). */
export function redactQuery(query: unknown): unknown {
  if (typeof query !== 'object' || query === null) return query;
  return Object.fromEntries(
    Object.entries(query).map(([name, value]) => [name, SECRET_PARAM.test(name) ? '***' : value]),
  );
}

/** pino-http's `serializers.req`: applied to the serialized request of every log line. */
export function redactRequest<T extends { url?: unknown; query?: unknown }>(req: T): T {
  return {
    ...req,
    ...(typeof req.url === 'string' ? { url: redactUrl(req.url) } : {}),
    ...(req.query !== undefined ? { query: redactQuery(req.query) } : {}),
  };
}
