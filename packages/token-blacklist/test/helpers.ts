import { randomUUID } from 'node:crypto';
import { SignJWT } from 'jose';

export const secret = new TextEncoder().encode('test-secret-at-least-32-bytes-long!!');

/** A real HS256-signed JWT. `expiresIn` in seconds (negative = already expired). */
export async function signToken({
  sub = 'user-1',
  jti = randomUUID() as string | null,
  expiresIn = 3600,
  iatOffset = 0,
}: {
  sub?: string;
  jti?: string | null;
  expiresIn?: number;
  iatOffset?: number;
} = {}): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  const jwt = new SignJWT({})
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(sub)
    .setIssuedAt(now + iatOffset)
    .setExpirationTime(now + expiresIn);
  if (jti) jwt.setJti(jti);
  return jwt.sign(secret);
}
