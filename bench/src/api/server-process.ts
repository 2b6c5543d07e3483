// A server of the api scenario in a process of its own (forked by ./servers.ts), so that the
// load generator does not share its event loop and CPU with what it measures.
//   API_BENCH_ROLE=app:  the reference app (apps/api build) with the env sent by the parent, its own PGlite
//   API_BENCH_ROLE=bare: `express()` with one handler per route, answering the JSON sent by the parent
//   start-floor: the same for /dental/staff only, after the Redis work of the app's cached hit sent
//   with raw ioredis (see floor.ts): what that work costs before any middleware
import { writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import { Session } from 'node:inspector/promises';
import type { AddressInfo } from 'node:net';
import { pathToFileURL } from 'node:url';
import express from 'express';
import { type RedisFloor, redisFloor } from './floor.js';

export type ToChild =
  | { type: 'start-app'; apiDist: string; env: Record<string, string> }
  | { type: 'start-bare'; routes: Record<string, unknown> }
  | { type: 'start-floor'; routes: Record<string, unknown>; redisUrl: string }
  | { type: 'stop' }
  /** CPU profile of this process from `start` to `stop`, written to `file` (a .cpuprofile). */
  | { type: 'profile'; action: 'start' }
  | { type: 'profile'; action: 'stop'; file: string };
export type FromChild =
  | { type: 'listening'; port: number }
  | { type: 'failed'; message: string }
  | { type: 'profiled'; file: string };

interface ApiModule {
  startServer(
    env: Record<string, string>,
  ): Promise<{ port: number; shutdown(reason?: string): Promise<void> }>;
}

const send = (message: FromChild) => process.send?.(message);
let stop: () => Promise<void> = async () => {};

async function startApp(apiDist: string, env: Record<string, string>): Promise<number> {
  const api = (await import(pathToFileURL(apiDist).href)) as ApiModule;
  const running = await api.startServer(env);
  stop = () => running.shutdown('bench done');
  return running.port;
}

async function startBare(routes: Record<string, unknown>, redisWork?: RedisFloor): Promise<number> {
  const app = express();
  for (const [path, body] of Object.entries(routes)) {
    if (redisWork) {
      app.get(path, (_req, res, next) => {
        redisWork.hit().then(() => res.json(body), next);
      });
      continue;
    }
    app.get(path, (_req, res) => {
      // /health answers its uptime like the app's; other routes their recorded body
      res.json(
        path === '/health' ? { status: 'ok', uptimeSeconds: Math.round(process.uptime()) } : body,
      );
    });
  }
  const server: Server = await new Promise((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  stop = async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeAllConnections();
    await redisWork?.close();
  };
  return (server.address() as AddressInfo).port;
}

let session: Session | undefined;
async function profile(message: Extract<ToChild, { type: 'profile' }>): Promise<void> {
  if (message.action === 'start') {
    session = new Session();
    session.connect();
    await session.post('Profiler.enable');
    await session.post('Profiler.setSamplingInterval', { interval: 100 });
    await session.post('Profiler.start');
    return;
  }
  if (!session) return;
  const { profile } = await session.post('Profiler.stop');
  writeFileSync(message.file, JSON.stringify(profile));
  session.disconnect();
  session = undefined;
  send({ type: 'profiled', file: message.file });
}

process.on('message', (message: ToChild) => {
  if (message.type === 'profile') {
    profile(message).catch((error: unknown) =>
      send({ type: 'failed', message: error instanceof Error ? error.message : String(error) }),
    );
    return;
  }
  if (message.type === 'stop') {
    // A normal exit, so `--cpu-prof` writes its profile.
    stop().finally(() => process.exit(0));
    return;
  }
  const started =
    message.type === 'start-app'
      ? startApp(message.apiDist, message.env)
      : message.type === 'start-floor'
        ? redisFloor(message.redisUrl, message.routes['/dental/staff']).then((floor) =>
            startBare(message.routes, floor),
          )
        : startBare(message.routes);
  started.then(
    (port) => send({ type: 'listening', port }),
    (error: unknown) =>
      send({ type: 'failed', message: error instanceof Error ? error.message : String(error) }),
  );
});
