import type { AddressInfo } from 'node:net';
import { connect, createServer, type Server, type Socket } from 'node:net';

export interface FlightCounter {
  /** Where the client under test connects (loopback). */
  readonly host: string;
  readonly port: number;
  readonly url: string;
  /**
   * Flights so far: writes the clients made after the server last answered on that connection.
   * Commands sent together (coalesced, pipelined) are one flight, so this counts round trips.
   */
  readonly flights: number;
  close(): Promise<void>;
}

/** A loopback TCP proxy in front of `target` that counts a client's round trips to it. */
export async function startFlightCounter(target: {
  host?: string;
  port: number;
}): Promise<FlightCounter> {
  let flights = 0;
  const sockets = new Set<Socket>();
  const proxy: Server = createServer((client) => {
    const upstream = connect(target.port, target.host ?? '127.0.0.1');
    sockets.add(client).add(upstream);
    // true once the server has answered since the client last wrote: the next write is a new flight
    let answered = true;
    client.on('data', (chunk) => {
      if (answered) flights++;
      answered = false;
      upstream.write(chunk);
    });
    upstream.on('data', (chunk) => {
      answered = true;
      client.write(chunk);
    });
    const end = () => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    for (const socket of [client, upstream]) {
      socket.on('close', end);
      socket.on('error', end);
    }
  });
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  const port = (proxy.address() as AddressInfo).port;
  return {
    host: '127.0.0.1',
    port,
    url: `redis://127.0.0.1:${port}`,
    get flights() {
      return flights;
    },
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => proxy.close(() => resolve()));
    },
  };
}
