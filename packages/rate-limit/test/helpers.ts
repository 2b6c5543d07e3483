import type { AddressInfo } from 'node:net';
import express, { type Express, type RequestHandler } from 'express';
import { onTestFinished } from 'vitest';

export interface App {
  url: string;
  app: Express;
}

/** Express on an ephemeral loopback port with `limiter` in front of `GET /` and `POST /login`; closed when the test ends. */
export async function startApp(
  limiter: RequestHandler,
  setup: (app: Express) => void = () => {},
): Promise<App> {
  const app = express();
  setup(app);
  app.use(express.json());
  app.use(limiter);
  app.get('/', (_req, res) => {
    res.send('ok');
  });
  app.post('/login', (req, res) => {
    const body = req.body as { password?: string };
    res.status(body.password === 'right' ? 200 : 401).send(body.password === 'right' ? 'in' : 'no');
  });
  const server = await new Promise<import('node:http').Server>((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  onTestFinished(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, app };
}

let counter = 0;
/** A name no other test uses, so tests sharing a server never share keys. */
export const uniqueName = (label: string): string =>
  `${label}-${process.pid}-${Date.now().toString(36)}-${counter++}`;

/** Sends `n` requests at once; returns the status codes. */
export async function burst(n: number, url: string, init?: RequestInit): Promise<number[]> {
  const responses = await Promise.all(
    Array.from({ length: n }, () =>
      fetch(url, init).then(async (r) => {
        await r.arrayBuffer();
        return r.status;
      }),
    ),
  );
  return responses;
}

export const count = (statuses: number[], status: number): number =>
  statuses.filter((s) => s === status).length;
