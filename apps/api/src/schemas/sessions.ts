import { int, isoDateTime } from '../openapi/common.js';
import { z } from '../openapi/zod.js';

const ms = int.openapi({ description: 'Milliseconds since the epoch' });

/** The session part of a `…/me` answer: the same in every cookie-session area. */
export const sessionTimes = z.strictObject({
  createdAt: isoDateTime.nullable(),
  expiresAt: isoDateTime.nullable(),
});

/** A user's devices (the session package's `listUserSessions`), named per area in the document. */
export function sessionListSchema(name: string) {
  return z
    .strictObject({
      items: z.array(
        z.strictObject({
          id: z.string().regex(/^[A-Za-z0-9_-]{22}$/),
          createdAt: ms,
          lastSeenAt: ms,
          expiresAt: ms,
          ip: z.string().optional(),
          userAgent: z.string().optional(),
          current: z.boolean(),
        }),
      ),
    })
    .openapi(name);
}
