import type { Request } from 'express';
import type { z } from 'zod';
import { apiCode } from './error-codes.js';

/** A 4xx with a message that names the offending field; the error handler turns it into JSON. */
export class HttpError extends Error {
  override name = 'HttpError';
  /** `E_API_<WHAT>` from a short name (`not_found`), or a package's `E_…` code as it is. */
  readonly code: string;
  constructor(
    readonly status: number,
    code: string,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.code = apiCode(code);
  }
}

function describe(error: z.ZodError): string {
  return error.issues
    .map((issue) => `${issue.path.length ? issue.path.join('.') : 'value'}: ${issue.message}`)
    .join('; ');
}

/** Parses `req.body`, `req.params` or `req.query` with a zod schema, or throws a 400 naming the field. */
export function parse<S extends z.ZodType>(
  schema: S,
  value: unknown,
  where: 'body' | 'params' | 'query' | 'headers',
): z.output<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  throw new HttpError(400, 'validation_failed', `Invalid ${where}: ${describe(result.error)}`);
}

export const body = <S extends z.ZodType>(req: Request, schema: S): z.output<S> =>
  parse(schema, req.body ?? {}, 'body');
export const params = <S extends z.ZodType>(req: Request, schema: S): z.output<S> =>
  parse(schema, req.params, 'params');
export const query = <S extends z.ZodType>(req: Request, schema: S): z.output<S> =>
  parse(schema, req.query, 'query');
