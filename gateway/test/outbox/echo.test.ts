// WAHA echoes our own sends (message.any, source api): the echo must join the outbox row whatever
// the order, and even when the send's answer does not carry the id.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, replay, type EngineEnv } from '../support/engine-env.js';
import { connectedDevice, inboundChat, sendsOf, startOutboxEnv, waitStatus, type Device } from './outbox-env.js';

let env: EngineEnv;
let waha: Device;
let chatId: number;

/** Sits between the gateway and the simulator's WAHA; `onSend` may hold or rewrite the answer of a send. */
class EngineProxy {
  onSend: ((answer: string) => Promise<string>) | null = null;
  private server!: Server;
  url = '';
  constructor(private readonly target: string, private readonly sendPath = '/api/sendText') {}
  async start() {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c) => chunks.push(c));
      req.on('end', async () => {
        const headers: Record<string, string> = {};
        for (const [k, v] of Object.entries(req.headers)) if (typeof v === 'string' && !['host', 'content-length', 'connection'].includes(k)) headers[k] = v;
        const r = await fetch(this.target + req.url, { method: req.method, headers, body: chunks.length ? Buffer.concat(chunks) : undefined });
        let text = await r.text();
        if (req.url === this.sendPath && this.onSend) text = await this.onSend(text);
        res.writeHead(r.status, { 'content-type': r.headers.get('content-type') ?? 'application/json' }).end(text);
      });
    });
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', () => r()));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }
  close() {
    this.server.closeAllConnections();
    return new Promise((r) => this.server.close(r));
  }
}
let proxy: EngineProxy;
let wuzProxy: EngineProxy;
let wuz: Device;
let wuzChat: number;

beforeAll(async () => {
  env = await startOutboxEnv();
  waha = await connectedDevice(env, 'waha');
  chatId = (await inboundChat(env, waha, '+4915120000001')).chatId;
  proxy = await new EngineProxy(env.sim.wahaUrl).start();
  await env.t.db('devices').where({ id: waha.id }).update({ engine_url: proxy.url });
  wuz = await connectedDevice(env, 'wuzapi');
  wuzChat = (await inboundChat(env, wuz, '+4915120000002')).chatId;
  wuzProxy = await new EngineProxy(env.sim.wuzapiUrl, '/chat/send/text').start();
  await env.t.db('devices').where({ id: wuz.id }).update({ engine_url: wuzProxy.url });
});
afterAll(async () => {
  await proxy.close();
  await wuzProxy.close();
  await env.close();
});

const send = (text: string) => env.http.post(`/api/chats/${chatId}/messages`, { token: env.owner.token, body: { clientId: randomUUID(), text } });
const rows = (text: string) => env.t.db('messages').where({ chat_id: chatId, body: text });

describe('WAHA echo of our own send', () => {
  it('when the echo arrives after the send’s answer, then it joins the sent row (one row)', async () => {
    const text = `echo late ${randomUUID()}`;
    env.relay.forward = false;
    const before = env.relay.deliveries.length;
    try {
      const r = await send(text);
      const sent = await waitStatus(env, r.body.id, 'sent');
      await env.sim.webhooksIdle(5_000);
      const echoes = env.relay.deliveries.slice(before).filter((d) => d.body.toString().includes(text));
      expect(echoes.length).toBeGreaterThan(0);
      for (const d of echoes) expect((await replay(env.t.url, d)).status).toBeLessThan(300);
      const all = await rows(text);
      expect(all).toHaveLength(1);
      expect(all[0].engine_message_id).toBe(sent.engine_message_id);
      expect(all[0].source).toBe('api');
    } finally {
      env.relay.forward = true;
    }
  });

  it('when the echo arrives before the send’s answer, then the row takes the echo’s id and the answer lands on it (one row)', async () => {
    const text = `echo early ${randomUUID()}`;
    let joinedBeforeAnswer = false;
    proxy.onSend = async (answer) => {
      // Hold the answer until the echo has been stored: it must have joined the pending row.
      joinedBeforeAnswer = !!(await eventually(async () => (await rows(text)).find((m) => m.engine_message_id), 5_000, 'echo joined'));
      return answer;
    };
    try {
      const r = await send(text);
      await waitStatus(env, r.body.id, 'sent');
      // The echo alone makes it 'sent'; the held answer is recorded after (the lease is cleared).
      await eventually(async () => (await env.t.db('messages').where({ id: r.body.id }).first()).next_attempt_at === null, 5_000, 'answer recorded');
      expect(joinedBeforeAnswer).toBe(true);
      const all = await rows(text);
      expect(all).toHaveLength(1);
      expect(Number(all[0].id)).toBe(r.body.id);
      expect(await sendsOf(env, waha, text)).toHaveLength(1);
    } finally {
      proxy.onSend = null;
    }
  });

  it('when the echo arrives while the send’s answer is on its way, then it waits for the answer and lands on the sent row (one row)', async () => {
    const text = `echo waits ${randomUUID()}`;
    const before = env.relay.deliveries.length;
    let idAtAnswer: string | null = 'not answered';
    proxy.onSend = async (answer) => {
      await eventually(async () => env.relay.deliveries.slice(before).some((d) => d.body.toString().includes(text)), 5_000, 'echo sent');
      await new Promise((r) => setTimeout(r, 100)); // the echo is in before the answer
      idAtAnswer = (await rows(text))[0]?.engine_message_id ?? null;
      return answer;
    };
    try {
      const r = await send(text);
      const sent = await waitStatus(env, r.body.id, 'sent');
      await env.sim.webhooksIdle(5_000);
      // Joined on arrival, the echo would have written the row a first time before the answer.
      expect(idAtAnswer).toBeNull();
      const all = await rows(text);
      expect(all).toHaveLength(1);
      expect(all[0].engine_message_id).toBe(sent.engine_message_id);
      expect(all[0].next_attempt_at).toBeNull();
    } finally {
      proxy.onSend = null;
    }
  });

  it('when the send’s answer carries no id, then the row is sent and the echo gives it the id (one row)', async () => {
    const text = `echo only ${randomUUID()}`;
    env.relay.forward = false;
    const before = env.relay.deliveries.length;
    proxy.onSend = async () => '{}';
    try {
      const r = await send(text);
      const sent = await waitStatus(env, r.body.id, 'sent');
      expect(sent.engine_message_id).toBeNull();
      await env.sim.webhooksIdle(5_000);
      for (const d of env.relay.deliveries.slice(before).filter((x) => x.body.toString().includes(text))) await replay(env.t.url, d);
      const [s] = await sendsOf(env, waha, text);
      const all = await eventually(async () => {
        const got = await rows(text);
        return got.length === 1 && got[0].engine_message_id ? got : undefined;
      }, 5_000, 'echo joined');
      expect(String(s!.messageId)).toContain(all[0].engine_message_id);
      expect(all[0].status).toBe('sent');
    } finally {
      proxy.onSend = null;
      env.relay.forward = true;
    }
  });

  it('when two identical texts are pending and their echoes come first, then each row ends with one engine id (two rows, no duplicate)', async () => {
    const text = `twin ${randomUUID()}`;
    const [a, b] = await Promise.all([send(text), send(text)]);
    await waitStatus(env, a.body.id, 'sent');
    await waitStatus(env, b.body.id, 'sent');
    await env.sim.webhooksIdle(5_000);
    await new Promise((r) => setTimeout(r, 150));
    const all = await rows(text);
    expect(all).toHaveLength(2);
    const ids = all.map((m) => m.engine_message_id);
    expect(new Set(ids).size).toBe(2);
    const sends = (await sendsOf(env, waha, text)).map((s) => String(s.messageId));
    expect(sends).toHaveLength(2);
    for (const id of ids) expect(sends.some((s) => s.includes(id))).toBe(true);
  });

  it('when a WAHA send times out although the engine took it (and no echo comes), then the next attempt finds it there and does not send again', async () => {
    const text = `timeout ${randomUUID()}`;
    env.relay.forward = false;
    let first = true;
    proxy.onSend = async (answer) => {
      if (first) {
        first = false;
        await new Promise((r) => setTimeout(r, Number(env.t.config.ENGINE_TIMEOUT_MS) + 500));
      }
      return answer;
    };
    try {
      const r = await send(text);
      const sent = await waitStatus(env, r.body.id, 'sent', 15_000);
      expect(sent.attempts).toBe(2);
      const sends = await sendsOf(env, waha, text);
      expect(sends).toHaveLength(1);
      expect(String(sends[0]!.messageId)).toContain(sent.engine_message_id);
    } finally {
      proxy.onSend = null;
      env.relay.forward = true;
    }
  });

  it('when a WuzAPI send times out, then every retry carries the id chosen before the first attempt (whatsmeow sends one message per id)', async () => {
    const text = `wuz timeout ${randomUUID()}`;
    let first = true;
    wuzProxy.onSend = async (answer) => {
      if (first) {
        first = false;
        await new Promise((r) => setTimeout(r, Number(env.t.config.ENGINE_TIMEOUT_MS) + 500));
      }
      return answer;
    };
    try {
      const r = await env.http.post(`/api/chats/${wuzChat}/messages`, { token: env.owner.token, body: { clientId: randomUUID(), text } });
      const sent = await waitStatus(env, r.body.id, 'sent', 15_000);
      const sends = await sendsOf(env, wuz, text);
      expect(sends.length).toBe(2);
      expect(new Set(sends.map((x) => x.request.Id))).toEqual(new Set([sent.engine_message_id]));
    } finally {
      wuzProxy.onSend = null;
    }
  });
});
