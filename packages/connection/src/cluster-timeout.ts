import type { Cluster } from 'ioredis';

type SendCommand = Cluster['sendCommand'];
type Command = Parameters<SendCommand>[0];

/**
 * ioredis applies `commandTimeout` only once a Cluster command reaches a node. While the whole
 * Cluster is reconnecting, commands sit in the Cluster's own offline queue with no deadline, and
 * a pipeline issued before the first slot map waits in `delayUntilReady` forever (verified with
 * ioredis 5.11: a GET on a fully killed Cluster was still pending after 15 s). This arms the
 * command timeout when the command enters the Cluster instead, so every command settles within
 * `timeoutMs` whatever the Cluster state; the node-level timer then is a no-op (a command's
 * timer is armed once).
 */
export function boundClusterCommands(cluster: Cluster, timeoutMs: number): void {
  const send: SendCommand = cluster.sendCommand.bind(cluster);
  cluster.sendCommand = ((command: Command, ...rest: unknown[]) => {
    command.setTimeout(timeoutMs);
    return (send as (c: Command, ...r: unknown[]) => unknown)(command, ...rest);
  }) as SendCommand;

  const delay = cluster.delayUntilReady.bind(cluster);
  cluster.delayUntilReady = (callback: (err?: Error | null) => void) => {
    let settled = false;
    const timer = setTimeout(() => {
      if (settled) return;
      settled = true;
      callback(new Error(`Cluster not ready within ${timeoutMs} ms`));
    }, timeoutMs);
    timer.unref?.();
    delay((err?: Error | null) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      callback(err);
    });
  };
}
