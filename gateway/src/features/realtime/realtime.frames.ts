import type { EventRow } from './realtime.repository.js';
import type { z } from 'zod';
import { realtimeEvent } from './realtime.schemas.js';

/**
 * Event frames, encoded once per event as complete WebSocket frames (server frames are unmasked),
 * so the same bytes go to every socket that gets the event. Sockets that get the same events in a
 * round get the same concatenated buffer: one write per socket per round, whatever the event count.
 */
export function eventJson(e: EventRow): string {
  return `{"seq":${e.id},"type":${JSON.stringify(e.type)},"data":${e.data}}`;
}

/** A final, unmasked text frame (RFC 6455 §5.2) around `text`. */
export function textFrame(text: string): Buffer {
  const n = Buffer.byteLength(text);
  const head = n < 126 ? 2 : n < 65_536 ? 4 : 10;
  const out = Buffer.allocUnsafe(head + n);
  out[0] = 0x81; // FIN + text
  if (n < 126) out[1] = n;
  else if (n < 65_536) {
    out[1] = 126;
    out.writeUInt16BE(n, 2);
  } else {
    out[1] = 127;
    out.writeUInt32BE(Math.floor(n / 2 ** 32), 2);
    out.writeUInt32BE(n >>> 0, 6);
  }
  out.write(text, head, 'utf8');
  return out;
}

export const eventFrame = (e: EventRow) => textFrame(eventJson(e));
export type FrameOf = (e: EventRow) => Buffer;

/**
 * Tests (the harness turns it on, like response checking): each event is checked against the
 * `RealtimeEvent` schema before it goes out. A mismatch is reported and goes out as an `error` frame
 * naming the fields instead of the event, so the test waiting for it fails.
 */
/** Zod issues as `path: message; …`; a union that matched no member is told by its closest member. */
export function describeIssues(issues: readonly z.core.$ZodIssue[], prefix: PropertyKey[] = []): string {
  return issues
    .map((i) => {
      const path = [...prefix, ...i.path];
      if (i.code === 'invalid_union' && i.errors.length) {
        const closest = [...i.errors].sort((a, b) => a.length - b.length)[0]!;
        if (closest.length) return describeIssues(closest, path);
      }
      return `${path.map(String).join('.') || '(root)'}: ${i.message}`;
    })
    .join('; ');
}

export function checkedEventFrame(onMismatch: (e: EventRow, message: string) => void): FrameOf {
  return (e) => {
    const r = realtimeEvent.safeParse(JSON.parse(eventJson(e)));
    if (r.success) return eventFrame(e);
    const message = `${e.type} #${e.id} is outside the RealtimeEvent schema: ${describeIssues(r.error.issues)}`;
    onMismatch(e, message);
    return textFrame(JSON.stringify({ seq: e.id, type: 'error', data: { code: 'event_schema_mismatch', message } }));
  };
}

/** Concatenations shared within one dispatch round, keyed by the seqs they hold. */
export class RoundCache {
  private readonly map = new Map<string, Buffer>();
  get(key: string, frames: Buffer[]): Buffer {
    if (frames.length === 1) return frames[0]!;
    let b = this.map.get(key);
    if (!b) this.map.set(key, (b = Buffer.concat(frames)));
    return b;
  }
}
