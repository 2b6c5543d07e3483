import { createServer, type RequestListener, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ListenOptions {
  /** Interface to bind; loopback by default so a test server is never reachable from outside. */
  host?: string;
  /** Port to bind; 0 (default) lets the kernel pick a free one. */
  port?: number;
}

export interface Listening {
  /** `http://host:port`, no trailing slash. */
  url: string;
  port: number;
  server: Server;
  /** Stops accepting, destroys every open (keep-alive) socket, resolves once closed. Idempotent. */
  close(): Promise<void>;
}

/**
 * Serves an Express app (or any request listener, or an already-built `http.Server`) on a free
 * loopback port. `close()` drops keep-alive sockets: `server.close()` alone waits for fetch's
 * pooled connections to time out, which is what makes test files hang at teardown.
 */
export async function listen(
  app: RequestListener | Server,
  options: ListenOptions = {},
): Promise<Listening> {
  const host = options.host ?? '127.0.0.1';
  const server = typeof app === 'function' ? createServer(app) : app;
  await new Promise<void>((resolve, reject) => {
    const onError = (error: Error) => reject(error);
    server.once('error', onError);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', onError);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closing ??= new Promise<void>((resolve, reject) => {
      server.close((error) => {
        // Closing twice from two owners is not a test failure.
        if (error && (error as NodeJS.ErrnoException).code !== 'ERR_SERVER_NOT_RUNNING')
          reject(error);
        else resolve();
      });
      server.closeAllConnections();
    });
    return closing;
  };
  const urlHost = host.includes(':') ? `[${host}]` : host;
  return { url: `http://${urlHost}:${port}`, port, server, close };
}
