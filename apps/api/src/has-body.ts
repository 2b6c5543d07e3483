import type { IncomingMessage } from 'node:http';

/**
 * Whether a request carries a body, decided as the JSON body parser decides it (type-is's
 * `hasBody`): a `Transfer-Encoding` header or a numeric `Content-Length`. GETs, HEADs and probes
 * have neither, so the parser, the body timer and the body walk are skipped for them — the parser
 * would have done nothing for them either.
 */
export function hasBody(req: IncomingMessage): boolean {
  const length = req.headers['content-length'];
  return (
    req.headers['transfer-encoding'] !== undefined ||
    (length !== undefined && !Number.isNaN(Number(length)))
  );
}
