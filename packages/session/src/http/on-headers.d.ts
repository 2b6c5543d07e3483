// on-headers ships no types; this is its whole API.
declare module 'on-headers' {
  import type { ServerResponse } from 'node:http';
  /** Calls `listener` once, just before `res` writes its headers. */
  export default function onHeaders<T extends ServerResponse>(
    res: T,
    listener: (this: T) => void,
  ): void;
}
