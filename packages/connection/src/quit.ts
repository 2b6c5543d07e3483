import { isCluster } from './client-kind.js';
import type { RedisClient } from './types.js';

/**
 * QUIT and wait for the socket to close; after `timeoutMs` (a hung server never answers QUIT)
 * disconnect and destroy the sockets so nothing lingers. Never rejects. The one way the toolkit
 * closes a connection it owns (the connection and its duplicates, the cache's subscribers, the
 * job queues' connections).
 */
export async function quitOrDisconnect(client: RedisClient, timeoutMs: number): Promise<void> {
  if (client.status === 'end') return;
  let onEnd: (() => void) | undefined;
  const ended = new Promise<void>((resolve) => {
    onEnd = resolve;
    client.once('end', resolve);
  });
  try {
    if (client.status === 'ready' && (await settlesWithin(client.quit(), ended, timeoutMs))) return;
    const sockets = isCluster(client) ? client.nodes('all') : [client];
    client.disconnect();
    for (const node of sockets) node.stream?.destroy();
    // disconnect() changes the status: re-read it through a widened type.
    if ((client.status as string) !== 'end') await settlesWithin(Promise.resolve(), ended, 250);
  } finally {
    if (onEnd) client.off('end', onEnd);
  }
}

/** True when `ended` resolves within `ms` (`command` failing early does not count). */
async function settlesWithin(
  command: Promise<unknown>,
  ended: Promise<void>,
  ms: number,
): Promise<boolean> {
  command.catch(() => {
    // QUIT may fail on a dying connection; the deadline below decides.
  });
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  try {
    return await Promise.race([ended.then(() => true as const), deadline]);
  } finally {
    clearTimeout(timer);
  }
}
