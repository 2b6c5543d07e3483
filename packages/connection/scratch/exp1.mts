import { Cluster, Redis } from 'ioredis';
import { startCluster, startRedis } from '@redis-toolkit/testing';

const t0 = () => performance.now();
async function timeIt(label: string, p: Promise<unknown>) {
  const s = t0();
  try { const v = await p; console.log(label, 'ok', v, Math.round(t0() - s), 'ms'); }
  catch (e) { console.log(label, 'ERR', (e as Error).message, Math.round(t0() - s), 'ms'); }
}
const retry = (n: number) => Math.min(50 * 2 ** n, 2000);

const s = await startRedis();
const r = new Redis({ port: s.port, commandTimeout: 2000, maxRetriesPerRequest: 2, retryStrategy: retry });
r.on('error', () => {});
await r.set('a', '1');
await s.kill();
await timeIt('standalone killed get', r.get('a'));
await timeIt('standalone killed pipeline', r.pipeline().get('a').exec());
s.pause?.();
await s.restart();
await timeIt('standalone back', r.get('a'));
s.pause();
await timeIt('standalone paused get', r.get('a'));
s.resume();
r.disconnect();
await s.stop();

const c = await startCluster({ masters: 3 });
const cl = new Cluster(c.startupNodes, { clusterRetryStrategy: retry, redisOptions: { commandTimeout: 2000, maxRetriesPerRequest: 2, retryStrategy: retry } });
cl.on('error', () => {});
await cl.set('a', '1');
for (const n of c.nodes) await n.kill();
await timeIt('cluster killed get', cl.get('a'));
await timeIt('cluster killed get2', Promise.race([cl.get('b'), new Promise((_, rej) => setTimeout(() => rej(new Error('outer 15s')), 15000))]));
console.log('cluster status', cl.status);
await timeIt('cluster killed pipeline', Promise.race([cl.pipeline().get('b').exec(), new Promise((_, rej) => setTimeout(() => rej(new Error('outer 15s')), 15000))]));
cl.disconnect();
await c.stop();
process.exit(0);
