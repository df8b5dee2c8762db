import WebSocket from 'ws';
import { appendEvents, type EventType, type NewEvent } from '../../src/features/realtime/event-log.js';
import type { Db } from '../../src/platform/db/knex.js';
import { eventually } from '../support/engine-env.js';

export interface Frame {
  seq?: number;
  type: string;
  data: any;
}

/** A test socket: records every frame and how it closed. */
export interface TestSocket {
  ws: WebSocket;
  frames: Frame[];
  events(type?: string): Frame[];
  closed: Promise<{ code: number; reason: string }>;
  isClosed(): boolean;
  send(msg: unknown): void;
  waitFor(check: (f: Frame) => boolean, ms?: number, what?: string): Promise<Frame>;
  close(): Promise<void>;
}

export const wsUrl = (httpUrl: string) => httpUrl.replace(/^http/, 'ws') + '/ws';

/** Opens /ws. `auth`: bearer subprotocol, first message, or none. Resolves once open (not yet authenticated). */
export async function openSocket(httpUrl: string, token: string | null, auth: 'protocol' | 'message' = 'protocol', opts: WebSocket.ClientOptions = {}): Promise<TestSocket> {
  const ws = new WebSocket(wsUrl(httpUrl), auth === 'protocol' && token !== null ? ['bearer', token] : [], opts);
  const frames: Frame[] = [];
  let closedFlag = false;
  const closed = new Promise<{ code: number; reason: string }>((resolve) =>
    ws.on('close', (code, reason) => {
      closedFlag = true;
      resolve({ code, reason: reason.toString() });
    }),
  );
  ws.on('message', (d) => frames.push(JSON.parse(d.toString())));
  ws.on('error', () => undefined);
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('unexpected-response', (_req, res) => reject(new Error(`upgrade refused: ${res.statusCode}`)));
    ws.once('close', () => resolve());
  });
  if (auth === 'message' && token !== null && ws.readyState === ws.OPEN) ws.send(JSON.stringify({ type: 'auth', token }));
  const s: TestSocket = {
    ws,
    frames,
    events: (type) => frames.filter((f) => f.seq !== undefined && (!type || f.type === type)),
    closed,
    isClosed: () => closedFlag,
    send: (msg) => ws.send(JSON.stringify(msg)),
    waitFor: (check, ms = 10_000, what = 'frame') => eventually(async () => frames.find(check), ms, what),
    async close() {
      if (!closedFlag) ws.close();
      await closed;
    },
  };
  return s;
}

/** Opens an authenticated socket and waits for `ready`; with `since`, resumes from it. */
export async function liveSocket(httpUrl: string, token: string, opts: { since?: number; auth?: 'protocol' | 'message' } = {}): Promise<TestSocket> {
  const s = await openSocket(httpUrl, token, opts.auth ?? 'protocol');
  if (opts.since !== undefined) s.send({ type: 'resume', since: opts.since });
  await s.waitFor((f) => f.type === 'ready', 10_000, 'ready');
  // Past the resume grace, so live events flow straight away.
  if (opts.since === undefined) await new Promise((r) => setTimeout(r, 350));
  return s;
}

/**
 * Events with made-up payloads, for tests of the transport (order, resume, audience): their app is
 * started with `validateEvents: false`, since these payloads are not the RealtimeEvent schema's.
 */
export type MadeUpEvent = Omit<NewEvent, 'type' | 'data'> & { type: EventType; data: unknown };

export async function append(db: Db, events: MadeUpEvent[]): Promise<number> {
  return (await db.transaction((trx) => appendEvents(trx, events as NewEvent[])))!;
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
