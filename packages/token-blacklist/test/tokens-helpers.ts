import type { TopologyContext } from '@redis-toolkit/testing';
import type { Cluster, Redis } from 'ioredis';

/** Every key and every value (strings, hashes, sets) on every master, as one text to search. */
export async function dumpEverything(client: Redis | Cluster): Promise<string> {
  await client.ping(); // a fresh Cluster client knows its nodes only once connected
  const nodes = 'nodes' in client ? client.nodes('master') : [client];
  let out = '';
  for (const node of nodes) {
    let cursor = '0';
    do {
      const [next, keys] = await node.scan(cursor, 'COUNT', 1000);
      cursor = next;
      for (const key of keys) {
        const type = await node.type(key);
        let value: unknown;
        if (type === 'string') value = await node.get(key);
        else if (type === 'hash') value = await node.hgetall(key);
        else if (type === 'set') value = await node.smembers(key);
        out += `${key}\t${JSON.stringify(value)}\n`;
      }
    } while (cursor !== '0');
  }
  return out;
}

export function uniquePrefix(): string {
  return `t${Math.random().toString(36).slice(2, 8)}:`;
}

export type { TopologyContext };
