import type { RedisHealth, RedisStatus } from './connection-types.js';
import { messageOf } from './status.js';
import type { RedisClient } from './types.js';

/**
 * PING raced against a timer: resolves within `timeoutMs` even when the server is hung
 * (SIGSTOP) and the PING never answers. Never rejects. Skips the PING when the connection is
 * not ready (it would only wait in the offline queue).
 */
export async function checkHealth(
  client: RedisClient | null,
  status: () => RedisStatus,
  lastError: () => Error | undefined,
  timeoutMs: number,
  redact: (text: string) => string,
): Promise<RedisHealth> {
  const current = status();
  if (!client || current !== 'ready') {
    const error = lastError();
    return {
      healthy: false,
      latencyMs: 0,
      status: current,
      error: redact(error ? error.message : `redis is ${current}`),
    };
  }
  const started = performance.now();
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), timeoutMs);
  });
  try {
    const ping = client.ping().then(() => 'pong' as const);
    // a PING that loses to the deadline may reject later (the connection closes): observe it
    ping.catch(() => undefined);
    const outcome = await Promise.race([ping, deadline]);
    const latencyMs = Math.round((performance.now() - started) * 100) / 100;
    if (outcome === 'timeout') {
      return {
        healthy: false,
        latencyMs,
        status: status(),
        error: `PING timed out after ${timeoutMs} ms`,
      };
    }
    return { healthy: true, latencyMs, status: status() };
  } catch (error) {
    const latencyMs = Math.round((performance.now() - started) * 100) / 100;
    return { healthy: false, latencyMs, status: status(), error: redact(messageOf(error)) };
  } finally {
    clearTimeout(timer);
  }
}
