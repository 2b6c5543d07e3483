import type { RequestHandler } from 'express';

/**
 * Middleware run one after the other as one Express layer. Each `app.use` layer costs a path
 * match, a params object and closures in the router on every request; steps every request takes
 * need none of that. A step's `next(error)` or throw goes to the error handlers, as from any
 * layer, also when it calls `next` later (the body parser does, once the body has arrived): the
 * steps after it run then, inside the same guard. Only for steps that return no promise: Express
 * would catch an async handler's rejection, this does not.
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
