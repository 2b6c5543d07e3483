import type { RequestHandler } from 'express';
import { errorBody } from './error-codes.js';
import { hasBody } from './has-body.js';

/**
 * Answers 408 with the app's JSON error body when a request's body has not fully arrived within
 * `timeoutMs` of its headers, then closes the connection (the rest of the body will never be read).
 * Node's own `server.requestTimeout` stays as the backstop a little later; it can only send a bare 408.
 */
export function requestTimeout(timeoutMs: number): RequestHandler {
  return (req, res, next) => {
    // Nothing to wait for: Node's `headersTimeout` already bounded the headers.
    if (!hasBody(req)) {
      next();
      return;
    }
    const timer = setTimeout(() => {
      if (req.complete || res.headersSent) return;
      res.setHeader('Connection', 'close');
      res
        .status(408)
        .json(
          errorBody('request_timeout', `The request body did not arrive within ${timeoutMs} ms`),
        );
      res.once('finish', () => req.socket.destroy());
    }, timeoutMs);
    timer.unref();
    const clear = () => clearTimeout(timer);
    req.once('end', clear);
    res.once('close', clear);
    next();
  };
}
