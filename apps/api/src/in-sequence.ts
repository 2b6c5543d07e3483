import type { RequestHandler } from 'express';

/**
 * Synchronous middleware run one after the other as one Express layer. Each `app.use` layer costs a
 * path match and a pass through the router's `next()` on every request; the steps every request
 * takes (headers, request id, CORS, timing) need neither. A step's `next(error)` or synchronous
 * throw goes to the error handlers, as from any layer. Only for steps that finish or call `next`
 * synchronously and return no promise (Express would await an async one; this does not).
 */
export function inSequence(...steps: RequestHandler[]): RequestHandler {
  return (req, res, next) => {
    let i = 0;
    const step = (error?: unknown): void => {
      if (error !== undefined && error !== null) {
        next(error);
        return;
      }
      const handler = steps[i++];
      if (!handler) {
        next();
        return;
      }
      try {
        handler(req, res, step);
      } catch (thrown) {
        next(thrown);
      }
    };
    step();
  };
}
