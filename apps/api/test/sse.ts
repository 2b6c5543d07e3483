import type { Client } from './helpers.js';

export interface SseEvent {
  event: string;
  data: string;
}

/** Opens an SSE stream with the client's cookies and collects its events until closed. */
export async function openStream(client: Client, path = '/care/alerts/stream') {
  const controller = new AbortController();
  const res = await fetch(`${client.base}${path}`, {
    headers: { cookie: client.cookieHeader() },
    signal: controller.signal,
  });
  const events: SseEvent[] = [];
  let ended = false;
  const pump = (async () => {
    if (!res.body) return;
    const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = '';
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += value;
        let i = buffer.indexOf('\n\n');
        while (i !== -1) {
          const frame = buffer.slice(0, i);
          buffer = buffer.slice(i + 2);
          const event = /^event: (.*)$/m.exec(frame)?.[1];
          const data = /^data: (.*)$/m.exec(frame)?.[1];
          if (event) events.push({ event, data: data ?? '' });
          i = buffer.indexOf('\n\n');
        }
      }
    } catch {
      // aborted
    } finally {
      ended = true;
    }
  })();
  return {
    status: res.status,
    contentType: res.headers.get('content-type'),
    events,
    /** The `alert` events' payloads so far. */
    alerts: () =>
      events
        .filter((e) => e.event === 'alert')
        .map((e) => JSON.parse(e.data) as { message: string; severity: string }),
    ended: () => ended,
    async close() {
      controller.abort();
      await pump;
    },
  };
}
