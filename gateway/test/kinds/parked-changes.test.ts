// Changes that arrive before the message they change wait in message_updates_pending (acks, plain
// edits, revokes) or sealed_updates_pending (sealed edits, WuzAPI poll votes). Under READ COMMITTED a
// change parked while its original is being written by another batch at that very moment is seen by
// neither batch. These tests force both interleavings through a real PostgreSQL: the ingest writer's
// own code runs inside a transaction the test holds open, while the other side goes through the
// gateway over signed HTTP webhooks; only then is the held transaction committed.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Knex } from 'knex';
import { startEngineEnv, eventually, control, replay, type EngineEnv, type Delivery } from '../support/engine-env.js';
import { wuzDelivery, wuzMsg } from './signed-deliveries.js';
import { editPlaintext, pollVotePlaintext, sealLikeWhatsmeow } from './whatsmeow-sealer.js';
import { writeBatch } from '../../src/features/ingest/ingest.writer.js';
import { markSent } from '../../src/features/outbox/outbox.repository.js';
import { pairedDevice } from '../support/paired-device.js';
import { parseWuzapiWebhook } from '../../src/features/engines/wuzapi/wuzapi-webhook.parser.js';
import type { DeviceCtx } from '../../src/features/ingest/ingest.types.js';

let env: EngineEnv;
beforeAll(async () => {
  // The sweep of parked changes runs often here, so a test waits for it briefly.
  env = await startEngineEnv({ INGEST_PARKED_SWEEP_MS: '300' });
});
afterAll(() => env?.close());

async function connectedDevice(phone: string) {
  const d = await pairedDevice(env, 'wuzapi', phone, `Parked ${phone}`);
  const ctx: DeviceCtx = { id: d.id, orgId: d.orgId, engine: 'wuzapi', status: d.status };
  return { id: d.id, secret: d.secret, ctx };
}

/** The ingest writer's own statements for `delivery`, inside a transaction the caller commits. */
async function writeHeld(ctx: DeviceCtx, delivery: Delivery): Promise<Knex.Transaction> {
  const parsed = parseWuzapiWebhook({ headers: delivery.headers, body: delivery.body });
  const trx = await env.t.db.transaction();
  await writeBatch(trx, [{ device: ctx, eventId: parsed.eventId, events: parsed.events }], { history: parsed.history });
  return trx;
}

async function send(d: Delivery) {
  const r = await replay(env.t.url, d);
  expect(r.status).toBe(200);
}

const row = (deviceId: string, id: string) => env.t.db('messages').where({ device_id: deviceId, engine_message_id: id }).first();
const pendingOf = async (deviceId: string) => [
  ...(await env.t.db('message_updates_pending').where({ device_id: deviceId }).pluck('engine_message_id')),
  ...(await env.t.db('sealed_updates_pending').where({ device_id: deviceId }).pluck('target_engine_id')),
];
const b64 = (b: Buffer) => b.toString('base64');

const SECRET = Buffer.from(Array.from({ length: 32 }, (_, i) => 100 + i));
const IV = Buffer.from(Array.from({ length: 12 }, (_, i) => 0x30 + i));
const CHAT = '4915770000091@s.whatsapp.net';
const ago = (s: number) => new Date(Date.now() - s * 1000).toISOString();

const original = (d: { id: string; secret: string }, id: string, text: string) =>
  wuzDelivery(d.id, d.secret, 'Message', wuzMsg({ id, chat: CHAT, timestamp: ago(60), message: { conversation: text, messageContextInfo: { messageSecret: b64(SECRET) } } }));
const ownOriginal = (d: { id: string; secret: string }, id: string, text: string) =>
  wuzDelivery(d.id, d.secret, 'Message', wuzMsg({ id, chat: CHAT, fromMe: true, sender: '4930720000090@s.whatsapp.net', timestamp: ago(60), message: { conversation: text } }));
const plainEdit = (d: { id: string; secret: string }, id: string, target: string, text: string) =>
  wuzDelivery(d.id, d.secret, 'Message', wuzMsg({
    id, chat: CHAT, timestamp: ago(30), info: { Edit: '1' },
    message: { protocolMessage: { type: 'MESSAGE_EDIT', key: { remoteJID: CHAT, fromMe: false, ID: target }, editedMessage: { conversation: text } } },
  }));
const sealedEdit = (d: { id: string; secret: string }, id: string, target: string, text: string) => {
  const payload = sealLikeWhatsmeow({ use: 'Message Edit', secret: SECRET, origId: target, origSender: CHAT, modSender: CHAT, plaintext: editPlaintext(text), iv: IV });
  return wuzDelivery(d.id, d.secret, 'Message', wuzMsg({
    id, chat: CHAT, timestamp: ago(30), info: { Edit: '1' },
    message: { secretEncryptedMessage: { targetMessageKey: { remoteJID: CHAT, fromMe: false, ID: target }, encPayload: b64(payload), encIV: b64(IV), secretEncType: 2 } },
  }));
};
const readReceipt = (d: { id: string; secret: string }, target: string) =>
  wuzDelivery(d.id, d.secret, 'ReadReceipt', { Chat: CHAT, Sender: CHAT, MessageIDs: [target], Type: 'read', Timestamp: ago(10) }, { state: 'Read' });

describe('a change parked while its original is being written by another batch', () => {
  it('when a plain edit parks while the original’s insert is still uncommitted, then the edit is applied once both have committed', async () => {
    const d = await connectedDevice('4930720000091');
    await send(original(d, 'PWARM1', 'a chat that exists already'));
    const held = await writeHeld(d.ctx, original(d, 'PORIG1', 'first words'));
    await send(plainEdit(d, 'PEDIT1', 'PORIG1', 'second words')); // commits its park meanwhile
    expect(await pendingOf(d.id)).toEqual(['PORIG1']); // it did not see the original
    await held.commit();
    await eventually(async () => (await row(d.id, 'PORIG1'))?.body === 'second words', 10_000, 'the edit applied');
    expect(await row(d.id, 'PORIG1')).toMatchObject({ body: 'second words', edits: [{ text: 'first words' }] });
    expect(await pendingOf(d.id)).toEqual([]);
  });

  it('when a plain edit’s park is uncommitted while the original is stored and committed, then the edit is applied once the park commits', async () => {
    const d = await connectedDevice('4930720000092');
    await send(original(d, 'PWARM2', 'a chat that exists already'));
    const held = await writeHeld(d.ctx, plainEdit(d, 'PEDIT2', 'PORIG2', 'second words'));
    await send(original(d, 'PORIG2', 'first words'));
    expect(await row(d.id, 'PORIG2')).toMatchObject({ body: 'first words', edited_at: null }); // it did not see the park
    await held.commit();
    await eventually(async () => (await row(d.id, 'PORIG2'))?.body === 'second words', 10_000, 'the edit applied');
    expect(await row(d.id, 'PORIG2')).toMatchObject({ body: 'second words', edits: [{ text: 'first words' }] });
    expect(await pendingOf(d.id)).toEqual([]);
  });

  it('when a read receipt parks while our own message’s insert is uncommitted, then the message ends read', async () => {
    const d = await connectedDevice('4930720000093');
    await send(original(d, 'PWARM3', 'a chat that exists already'));
    const held = await writeHeld(d.ctx, ownOriginal(d, 'PORIG3', 'sent from the phone'));
    await send(readReceipt(d, 'PORIG3'));
    expect(await pendingOf(d.id)).toEqual(['PORIG3']);
    await held.commit();
    await eventually(async () => (await row(d.id, 'PORIG3'))?.ack === 3, 10_000, 'read');
    expect(await pendingOf(d.id)).toEqual([]);
  });

  it('when a sealed edit parks while the original’s insert is uncommitted, then it is opened and applied once both have committed', async () => {
    const d = await connectedDevice('4930720000094');
    await send(original(d, 'PWARM4', 'a chat that exists already'));
    const held = await writeHeld(d.ctx, original(d, 'SORIG4', 'sealed before'));
    await send(sealedEdit(d, 'SEDIT4', 'SORIG4', 'sealed after'));
    expect(await pendingOf(d.id)).toEqual(['SORIG4', 'SORIG4']); // the textless edit and the sealed one
    await held.commit();
    await eventually(async () => (await row(d.id, 'SORIG4'))?.body === 'sealed after', 10_000, 'the sealed edit applied');
    expect(await row(d.id, 'SORIG4')).toMatchObject({ body: 'sealed after', edits: [{ text: 'sealed before' }] });
    expect(await pendingOf(d.id)).toEqual([]);
    // Applied once: the edit again, the original again, another sweep change nothing.
    await send(sealedEdit(d, 'SEDIT4', 'SORIG4', 'sealed after'));
    await send(original(d, 'SORIG4', 'sealed before'));
    await env.t.services.ingest.applyParked({ all: true });
    expect((await row(d.id, 'SORIG4'))!.edits).toHaveLength(1);
    expect(await env.t.db('messages').where({ device_id: d.id }).pluck('engine_message_id')).toEqual(expect.arrayContaining(['PWARM4', 'SORIG4']));
    expect(Number((await env.t.db('messages').where({ device_id: d.id }).count('* as n').first())!.n)).toBe(2);
  });

  it('when a sealed edit’s park is uncommitted while the original is stored and committed, then it is opened and applied once the park commits', async () => {
    const d = await connectedDevice('4930720000095');
    await send(original(d, 'PWARM5', 'a chat that exists already'));
    const held = await writeHeld(d.ctx, sealedEdit(d, 'SEDIT5', 'SORIG5', 'sealed after'));
    await send(original(d, 'SORIG5', 'sealed before'));
    expect(await row(d.id, 'SORIG5')).toMatchObject({ body: 'sealed before', edited_at: null });
    await held.commit();
    await eventually(async () => (await row(d.id, 'SORIG5'))?.body === 'sealed after', 10_000, 'the sealed edit applied');
    expect(await row(d.id, 'SORIG5')).toMatchObject({ body: 'sealed after', edits: [{ text: 'sealed before' }] });
    expect(await pendingOf(d.id)).toEqual([]);
  });

  it('when a sealed poll vote parks while the poll’s insert is uncommitted, then the vote is counted once', async () => {
    const d = await connectedDevice('4930720000096');
    const GROUP = '120363000000000991@g.us';
    const AUTHOR = '4915770000097@s.whatsapp.net';
    const VOTER = '4915770000098@s.whatsapp.net';
    await send(wuzDelivery(d.id, d.secret, 'Message', wuzMsg({ id: 'PWARM6', chat: GROUP, sender: AUTHOR, message: { conversation: 'hello group' } })));
    const poll = wuzDelivery(d.id, d.secret, 'Message', wuzMsg({
      id: 'PPOLL6', chat: GROUP, sender: AUTHOR, timestamp: ago(120),
      message: { pollCreationMessageV3: { name: 'When?', options: [{ optionName: 'Now' }, { optionName: 'Later' }], selectableOptionsCount: 1 }, messageContextInfo: { messageSecret: b64(SECRET) } },
    }));
    const payload = sealLikeWhatsmeow({ use: 'Poll Vote', secret: SECRET, origId: 'PPOLL6', origSender: AUTHOR, modSender: VOTER, plaintext: pollVotePlaintext(['Later']), iv: IV });
    const vote = wuzDelivery(d.id, d.secret, 'Message', wuzMsg({
      id: 'PVOTE6', chat: GROUP, sender: VOTER, timestamp: ago(60), info: { Type: 'poll_update' },
      message: { pollUpdateMessage: { pollCreationMessageKey: { remoteJID: GROUP, fromMe: false, ID: 'PPOLL6', participant: AUTHOR }, vote: { encPayload: b64(payload), encIV: b64(IV) } } },
    }));
    const held = await writeHeld(d.ctx, poll);
    await send(vote);
    expect(await pendingOf(d.id)).toEqual(['PPOLL6']);
    await held.commit();
    await eventually(async () => (await env.t.db('poll_votes').where({ device_id: d.id, poll_engine_id: 'PPOLL6' })).length > 0, 10_000, 'the vote counted');
    expect(await env.t.db('poll_votes').where({ device_id: d.id, poll_engine_id: 'PPOLL6' }).select('voter_jid', 'options')).toEqual([{ voter_jid: VOTER, options: ['Later'] }]);
    expect(await pendingOf(d.id)).toEqual([]);
  });
});

describe('parked changes left beside a stored original', () => {
  it('when the original is delivered again while an older parked edit waits beside it, then the repeat keeps it and the hourly pass applies it, once', async () => {
    const d = await connectedDevice('4930720000097');
    await send(original(d, 'LORIG1', 'as sent'));
    // What a lost race leaves, older than the sweep's hour: a parked edit and ack beside a stored original.
    const at = new Date(Date.now() - 20_000);
    await env.t.db('message_updates_pending').insert({ device_id: d.id, engine_message_id: 'LORIG1', ack: 2, edited_body: 'as edited', edited_at: at, created_at: env.t.db.raw(`now() - interval '2 hours'`) });
    await send(original(d, 'LORIG1', 'as sent'));
    await new Promise((r) => setTimeout(r, 1_000)); // a few sweeps: not theirs (older than an hour)
    expect(await pendingOf(d.id)).toEqual(['LORIG1']);
    // Twice at once: each parked row is taken by one of them.
    const applied = await Promise.all([env.t.services.ingest.applyParked({ all: true }), env.t.services.ingest.applyParked({ all: true })]);
    expect(applied.reduce((a, b) => a + b, 0)).toBe(1);
    expect(await row(d.id, 'LORIG1')).toMatchObject({ body: 'as edited', edits: [{ text: 'as sent' }] });
    expect(await pendingOf(d.id)).toEqual([]);
  });

  it('when the phone edits our own send before the engine’s answer reaches the gateway, then marking it sent keeps the parked edit and the sweep applies it', async () => {
    const d = await connectedDevice('4930720000096');
    await send(original(d, 'SORIG1', 'opens the chat'));
    const chat = await env.t.db('chats').where({ device_id: d.id }).first('id');
    // The engine is down: the send waits, retrying, with no engine id of the engine's own yet.
    await control(env.sim).post('/faults', { body: { down: true } });
    try {
      const sent = await env.http.post(`/api/chats/${chat.id}/messages`, { token: env.owner.token, body: { clientId: '9d3a3c7e-4a51-4d7e-9b1e-0c54d4f1a001', text: 'typo in here' } });
      expect(sent.status).toBe(202);
      await eventually(async () => (await env.t.db('messages').where({ id: sent.body.id }).first())?.attempts >= 1 && !(await env.t.db('messages').where({ id: sent.body.id }).first()).in_flight, 20_000, 'a failed attempt');
      // The phone's edit of it arrives first (the engine's id is not ours yet): it parks, with a read ack.
      await send(plainEdit(d, 'SEDIT1', 'OUTEARLY1', 'no typo here'));
      await send(readReceipt(d, 'OUTEARLY1'));
      expect(await pendingOf(d.id)).toEqual(['OUTEARLY1']);
      // Then the send's answer is stored, naming that id.
      const mine = await env.t.db('messages').where({ id: sent.body.id }).first();
      await markSent(env.t.db, { ...mine, chat_jid: CHAT } as never, { id: 'OUTEARLY1' });
      const after = await eventually(async () => {
        const r = await row(d.id, 'OUTEARLY1');
        return r?.body === 'no typo here' ? r : null;
      }, 10_000, 'the parked edit applied');
      expect(after).toMatchObject({ id: sent.body.id, edits: [{ text: 'typo in here' }] });
      expect(Number(after.ack)).toBeGreaterThanOrEqual(3);
      expect(await pendingOf(d.id)).toEqual([]);
    } finally {
      await control(env.sim).post('/faults', { body: { down: false } });
    }
  });

  it('when the maintenance prune runs, then parked changes older than 30 days are dropped, newer ones kept, and those whose original is stored applied', async () => {
    const d = await connectedDevice('4930720000098');
    await send(original(d, 'MORIG1', 'to be marked read'));
    const { db } = env.t;
    const old = db.raw(`now() - interval '31 days'`);
    await db('message_updates_pending').insert([
      { device_id: d.id, engine_message_id: 'MGONE', ack: 3, created_at: old },
      { device_id: d.id, engine_message_id: 'MWAIT', ack: 3, created_at: db.raw(`now() - interval '29 days'`) },
      { device_id: d.id, engine_message_id: 'MORIG1', ack: 3, created_at: old },
    ]);
    await db('sealed_updates_pending').insert({ device_id: d.id, sealed_id: 'SGONE', target_engine_id: 'MGONE2', change: {}, created_at: old });
    await env.t.services.jobs.add('maintenance.prune', {});
    await eventually(async () => (await pendingOf(d.id)).join() === 'MWAIT', 10_000, 'pruned');
    expect((await row(d.id, 'MORIG1'))!.ack).toBe(3);
  });
});

describe('WuzAPI history changes', () => {
  it('when a HistorySync push holds a sealed edit and a sealed poll vote (before and after their originals), then both are applied as live ones are', async () => {
    const d = await connectedDevice('4930720000099');
    const GROUP = '120363000000000992@g.us';
    const AUTHOR = '4915770000093@s.whatsapp.net';
    const VOTER = '4915770000094@s.whatsapp.net';
    const ts = Math.floor(Date.now() / 1000) - 7200;
    const item = (m: object) => ({ message: m });
    const editPayload = sealLikeWhatsmeow({ use: 'Message Edit', secret: SECRET, origId: 'HORIG', origSender: AUTHOR, modSender: AUTHOR, plaintext: editPlaintext('history after'), iv: IV });
    const votePayload = sealLikeWhatsmeow({ use: 'Poll Vote', secret: SECRET, origId: 'HPOLL2', origSender: AUTHOR, modSender: VOTER, plaintext: pollVotePlaintext(['Tea']), iv: IV });
    // waHistorySync.Conversation.messages[].message = WebMessageInfo; changes newest first, as the phone lists them.
    const messages = [
      item({ key: { remoteJID: GROUP, fromMe: false, ID: 'HEDIT', participant: AUTHOR }, messageTimestamp: ts + 60,
        message: { secretEncryptedMessage: { targetMessageKey: { remoteJID: GROUP, fromMe: false, ID: 'HORIG', participant: AUTHOR }, encPayload: b64(editPayload), encIV: b64(IV), secretEncType: 2 } } }),
      item({ key: { remoteJID: GROUP, fromMe: false, ID: 'HVOTE', participant: VOTER }, messageTimestamp: ts + 30,
        message: { pollUpdateMessage: { pollCreationMessageKey: { remoteJID: GROUP, fromMe: false, ID: 'HPOLL2', participant: AUTHOR }, vote: { encPayload: b64(votePayload), encIV: b64(IV) } } } }),
      item({ key: { remoteJID: GROUP, fromMe: false, ID: 'HORIG', participant: AUTHOR }, messageTimestamp: ts, messageSecret: b64(SECRET), message: { conversation: 'history before' } }),
      item({ key: { remoteJID: GROUP, fromMe: false, ID: 'HPOLL2', participant: AUTHOR }, messageTimestamp: ts + 10, messageSecret: b64(SECRET),
        message: { pollCreationMessageV3: { name: 'Drink?', options: [{ optionName: 'Tea' }, { optionName: 'Coffee' }], selectableOptionsCount: 1 } } }),
    ];
    const push = (ms: object[]) => wuzDelivery(d.id, d.secret, 'HistorySync', { Data: { syncType: 'RECENT', conversations: [{ ID: GROUP, name: 'History group', messages: ms }] } });
    // The changes alone first (they wait), then the whole push twice.
    await send(push(messages.slice(0, 2)));
    await send(push(messages));
    await send(push(messages));
    expect(await row(d.id, 'HORIG')).toMatchObject({ body: 'history after', edits: [{ text: 'history before' }] });
    expect(await row(d.id, 'HEDIT')).toBeUndefined();
    expect(await row(d.id, 'HVOTE')).toBeUndefined();
    expect(await env.t.db('poll_votes').where({ device_id: d.id, poll_engine_id: 'HPOLL2' }).select('voter_jid', 'options')).toEqual([{ voter_jid: VOTER, options: ['Tea'] }]);
    expect(await pendingOf(d.id)).toEqual([]);
  });
});
