// Sealed changes (encrypted edits, WuzAPI poll votes) and call lines, delivered as signed webhooks over
// real HTTP to a gateway on a real PostgreSQL. The sealed payloads are built by whatsmeow-sealer.ts,
// the sending side of whatsmeow's scheme, which shares no code with the gateway's opener.
import { webcrypto } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEngineEnv, eventually, control, replay, type EngineEnv, type Delivery } from '../support/engine-env.js';
import { wahaDelivery, wahaMsg, wuzDelivery, wuzMsg } from './signed-deliveries.js';
import { editPlaintext, pollVotePlaintext, sealLikeWhatsmeow } from './whatsmeow-sealer.js';
import { openSealed } from '../../src/features/engines/msg-secret.js';
import { pairedDevice, shuffled } from '../support/paired-device.js';

let env: EngineEnv;
beforeAll(async () => {
  env = await startEngineEnv();
});
afterAll(() => env?.close());

const connectedDevice = (engine: 'waha' | 'wuzapi', phone: string) => pairedDevice(env, engine, phone, `Sealed ${engine} ${phone}`);

async function deliverAll(ds: Delivery[]) {
  for (let i = 0; i < ds.length; i += 3) {
    const res = await Promise.all(ds.slice(i, i + 3).map((d) => replay(env.t.url, d)));
    for (const r of res) expect(r.status).toBe(200);
  }
}

const sealedMetric = async (outcome: string) =>
  Number(new RegExp(`ingest_sealed_changes_total\\{outcome="${outcome}"\\} (\\d+)`).exec(await (await fetch(`${env.t.url}/metrics`)).text())?.[1] ?? 0);

const row = (deviceId: string, id: string) => env.t.db('messages').where({ device_id: deviceId, engine_message_id: id }).first();
const b64 = (b: Buffer) => b.toString('base64');
const bufferJson = (b: Buffer) => ({ type: 'Buffer', data: [...b] }); // Baileys' Buffer through JSON.stringify

const SECRET = Buffer.from(Array.from({ length: 32 }, (_, i) => i));
const IV = Buffer.from(Array.from({ length: 12 }, (_, i) => 0xa0 + i));
const PHONE = '4915770000010@s.whatsapp.net';

describe('the message-secret scheme', () => {
  it('when the fixed vector is sealed by the whatsmeow-side sealer and by WebCrypto, then both give the same bytes and the gateway opens them', async () => {
    const o = { use: 'Message Edit' as const, secret: SECRET, origId: '3EB0VECTOR00000000001', origSender: PHONE, modSender: PHONE, plaintext: editPlaintext('fixed vector'), iv: IV };
    const sealed = sealLikeWhatsmeow(o);
    // Computed once with the sealer; kept here so a change to either side shows.
    expect(sealed.toString('hex')).toBe('60d7567a47d6dc04727d8319758b83cf39780e9e4f4b2ebe950baa8eb1ac');
    // A second, independent computation: WebCrypto's HKDF and AES-GCM.
    const subtle = webcrypto.subtle;
    const base = await subtle.importKey('raw', SECRET, 'HKDF', false, ['deriveKey']);
    const key = await subtle.deriveKey({ name: 'HKDF', hash: 'SHA-256', salt: new Uint8Array(0), info: Buffer.from(`${o.origId}${PHONE}${PHONE}Message Edit`) }, base, { name: 'AES-GCM', length: 256 }, false, ['encrypt']);
    expect(Buffer.from(await subtle.encrypt({ name: 'AES-GCM', iv: IV }, key, o.plaintext)).toString('hex')).toBe(sealed.toString('hex'));
    expect(openSealed({ use: 'edit', origId: o.origId, origSenders: [PHONE], modSenders: [PHONE], secret: SECRET, iv: IV, payload: sealed })).toEqual(o.plaintext);

    // A poll vote: additional data "origId\0voter", here a LID voter.
    const vote = { use: 'Poll Vote' as const, secret: SECRET, origId: '3EB0VECTORPOLL0000001', origSender: PHONE, modSender: '100200300400500@lid', plaintext: pollVotePlaintext(['Pizza']), iv: IV };
    const sealedVote = sealLikeWhatsmeow(vote);
    expect(sealedVote.toString('hex')).toBe('f7ea8f6d1b6cb27dccf38701ce1c6da5b01b2896c025a90281eb41e47f80a859187f70814be06bbbc3d20d4e588defd0eb63');
    const vkey = await subtle.deriveKey({ name: 'HKDF', hash: 'SHA-256', salt: new Uint8Array(0), info: Buffer.from(`${vote.origId}${PHONE}${vote.modSender}Poll Vote`) }, base, { name: 'AES-GCM', length: 256 }, false, ['encrypt']);
    const web = await subtle.encrypt({ name: 'AES-GCM', iv: IV, additionalData: Buffer.from(`${vote.origId}\0${vote.modSender}`) }, vkey, vote.plaintext);
    expect(Buffer.from(web).toString('hex')).toBe(sealedVote.toString('hex'));
    // The wrong voter (additional data differs) does not open it.
    expect(openSealed({ use: 'pollVote', origId: vote.origId, origSenders: [PHONE], modSenders: ['100200300400501@lid'], secret: SECRET, iv: IV, payload: sealedVote })).toBeNull();
  });
});

describe('sealed edits', () => {
  const CHAT = '4915770000021@s.whatsapp.net';
  const LID = '200300400500600@lid';
  const original = (deviceSecret: string, deviceId: string, id: string, text: string, withSecret = true) =>
    wuzDelivery(deviceId, deviceSecret, 'Message', wuzMsg({ id, chat: CHAT, timestamp: new Date(Date.now() - 60_000).toISOString(), message: { conversation: text, ...(withSecret ? { messageContextInfo: { messageSecret: b64(SECRET) } } : {}) } }));
  // As a newer phone sends it and WuzAPI passes it on (Info.Edit "1"): sealed for the original's sender
  // by phone number, the edit's sender named by its LID with the phone in SenderAlt.
  const sealedEdit = (deviceSecret: string, deviceId: string, id: string, target: string, text: string) => {
    const payload = sealLikeWhatsmeow({ use: 'Message Edit', secret: SECRET, origId: target, origSender: CHAT, modSender: LID, plaintext: editPlaintext(text, true), iv: IV });
    return wuzDelivery(deviceId, deviceSecret, 'Message', wuzMsg({
      id, chat: CHAT, sender: LID, timestamp: new Date(Date.now() - 30_000).toISOString(), info: { Edit: '1', SenderAlt: CHAT },
      message: { secretEncryptedMessage: { targetMessageKey: { remoteJID: CHAT, fromMe: false, ID: target }, encPayload: b64(payload), encIV: b64(IV), secretEncType: 2 }, messageContextInfo: { messageSecret: b64(Buffer.alloc(32, 9)) } },
    }));
  };

  it('when WuzAPI passes on a sealed edit of a stored message, then the original takes its text and lists the earlier one', async () => {
    const d = await connectedDevice('wuzapi', '4930720000001');
    const opened = await sealedMetric('opened');
    await replay(env.t.url, original(d.secret, d.id, 'SORIG1', 'before the edit'));
    expect((await replay(env.t.url, sealedEdit(d.secret, d.id, 'SEDIT1', 'SORIG1', 'after the edit'))).status).toBe(200);
    const orig = (await row(d.id, 'SORIG1'))!;
    const detail = (await env.http.get(`/api/messages/${orig.id}`, { token: env.owner.token })).body;
    expect(detail).toMatchObject({ body: 'after the edit', edits: [{ text: 'before the edit' }] });
    expect(detail.editedAt).not.toBeNull();
    expect(JSON.stringify(detail)).not.toContain(b64(SECRET)); // the secret is stored, never shown
    expect(await row(d.id, 'SEDIT1')).toBeUndefined();
    expect(await sealedMetric('opened')).toBeGreaterThan(opened);
  });

  it('when a sealed edit arrives twice, shuffled, before its original, then it is applied once, once the original arrives', async () => {
    const d = await connectedDevice('wuzapi', '4930720000002');
    const edit = sealedEdit(d.secret, d.id, 'SEDIT2', 'SORIG2', 'edited later');
    await deliverAll(shuffled([edit, edit, edit]));
    expect(await env.t.db('sealed_updates_pending').where({ device_id: d.id })).toHaveLength(1);
    await deliverAll([original(d.secret, d.id, 'SORIG2', 'said first'), original(d.secret, d.id, 'SORIG2', 'said first')]);
    const orig = (await row(d.id, 'SORIG2'))!;
    expect(orig).toMatchObject({ body: 'edited later', edits: [{ text: 'said first' }] });
    expect(orig.edited_at).not.toBeNull();
    expect(await env.t.db('sealed_updates_pending').where({ device_id: d.id })).toHaveLength(0);
    // A late repeat changes nothing.
    await replay(env.t.url, edit);
    expect((await row(d.id, 'SORIG2'))!.edits).toHaveLength(1);
    expect(Number((await env.t.db('messages').where({ device_id: d.id }).count('* as n').first())!.n)).toBe(1);
  });

  it('when the original came without its secret, or the edit does not open with it, then the edit only marks it edited, and is counted', async () => {
    const d = await connectedDevice('wuzapi', '4930720000003');
    const missing = await sealedMetric('no_secret');
    await replay(env.t.url, original(d.secret, d.id, 'SORIG3', 'unchanged words', false));
    await replay(env.t.url, sealedEdit(d.secret, d.id, 'SEDIT3', 'SORIG3', 'never shown'));
    const orig = (await row(d.id, 'SORIG3'))!;
    expect(orig.body).toBe('unchanged words');
    expect(orig.edited_at).not.toBeNull();
    expect(orig.edits).toBeNull();
    expect(await sealedMetric('no_secret')).toBe(missing + 1);

    // Sealed with another secret: it does not authenticate, and is counted as failed.
    const failed = await sealedMetric('failed');
    await replay(env.t.url, original(d.secret, d.id, 'SORIG4', 'kept as is'));
    const wrong = sealLikeWhatsmeow({ use: 'Message Edit', secret: Buffer.alloc(32, 1), origId: 'SORIG4', origSender: CHAT, modSender: CHAT, plaintext: editPlaintext('forged'), iv: IV });
    await replay(env.t.url, wuzDelivery(d.id, d.secret, 'Message', wuzMsg({ id: 'SEDIT4', chat: CHAT, info: { Edit: '1' }, message: { secretEncryptedMessage: { targetMessageKey: { remoteJID: CHAT, fromMe: false, ID: 'SORIG4' }, encPayload: b64(wrong), encIV: b64(IV), secretEncType: 2 } } })));
    expect(await row(d.id, 'SORIG4')).toMatchObject({ body: 'kept as is', edits: null });
    expect((await row(d.id, 'SORIG4'))!.edited_at).not.toBeNull();
    expect(await sealedMetric('failed')).toBe(failed + 1);
  });

  it('when WAHA NOWEB hands a sealed edit with Buffer-JSON bytes and an empty body, then it is opened with the secret from the original\'s _data', async () => {
    const d = await connectedDevice('waha', '4930720000004');
    const WCHAT = '4915770000022@c.us';
    const orig = wahaMsg({ id: 'WSORIG', from: WCHAT, body: 'waha before', timestamp: Math.floor(Date.now() / 1000) - 60, message: { conversation: 'waha before', messageContextInfo: { messageSecret: bufferJson(SECRET) } } });
    await replay(env.t.url, wahaDelivery(d.id, d.secret, 'message', orig));
    const phone = WCHAT.replace('@c.us', '@s.whatsapp.net');
    const payload = sealLikeWhatsmeow({ use: 'Message Edit', secret: SECRET, origId: 'WSORIG', origSender: phone, modSender: phone, plaintext: editPlaintext('waha after'), iv: IV });
    const edited = {
      ...wahaMsg({ id: 'WSEDIT', from: WCHAT, body: '', message: { secretEncryptedMessage: { targetMessageKey: { remoteJid: phone, fromMe: false, id: 'WSORIG' }, encPayload: bufferJson(payload), encIv: bufferJson(IV), secretEncType: 2 } } }),
      body: '',
      editedMessageId: 'WSORIG',
    };
    expect((await replay(env.t.url, wahaDelivery(d.id, d.secret, 'message.edited', edited))).status).toBe(200);
    expect(await row(d.id, 'WSORIG')).toMatchObject({ body: 'waha after', edits: [{ text: 'waha before' }] });
  });
});

describe('WuzAPI poll votes', () => {
  it('when sealed votes arrive (repeated, shuffled, one voter changing their mind), then each voter’s latest choice is counted with its voter', async () => {
    const d = await connectedDevice('wuzapi', '4930720000005');
    const GROUP = '120363000000000555@g.us';
    const AUTHOR = '4915770000030@s.whatsapp.net';
    const t0 = Date.now() - 120_000;
    await replay(env.t.url, wuzDelivery(d.id, d.secret, 'Message', wuzMsg({
      id: 'ZSPOLL', chat: GROUP, sender: AUTHOR, timestamp: new Date(t0).toISOString(),
      message: { pollCreationMessageV3: { name: 'Dinner?', options: [{ optionName: 'Pizza' }, { optionName: 'Sushi' }, { optionName: 'Tacos' }], selectableOptionsCount: 1 }, messageContextInfo: { messageSecret: b64(SECRET) } },
    })));
    // whatsmeow EncryptPollVote: the voter seals for the poll's sender; the key names the poll (participant = its author).
    const vote = (id: string, voter: string, options: string[], seconds: number, alt?: string) => {
      const payload = sealLikeWhatsmeow({ use: 'Poll Vote', secret: SECRET, origId: 'ZSPOLL', origSender: AUTHOR, modSender: voter, plaintext: pollVotePlaintext(options), iv: IV });
      return wuzDelivery(d.id, d.secret, 'Message', wuzMsg({
        id, chat: GROUP, sender: voter, timestamp: new Date(t0 + seconds * 1000).toISOString(), info: { Type: 'poll_update', ...(alt ? { SenderAlt: alt } : {}) },
        message: { pollUpdateMessage: { pollCreationMessageKey: { remoteJID: GROUP, fromMe: false, ID: 'ZSPOLL', participant: AUTHOR }, vote: { encPayload: b64(payload), encIV: b64(IV) }, senderTimestampMS: t0 + seconds * 1000 } },
      }));
    };
    const A = '4915770000031@s.whatsapp.net';
    const B = '4915770000032@s.whatsapp.net';
    const C_LID = '300400500600700@lid';
    const C = '4915770000033@s.whatsapp.net';
    const ds = [vote('V1', A, ['Sushi'], 10), vote('V2', A, ['Pizza'], 20), vote('V3', B, ['Pizza'], 15), vote('V4', C_LID, ['Tacos'], 12, C)];
    await deliverAll(shuffled([...ds, ...ds]));
    const chat = ((await env.http.get(`/api/chats?deviceId=${d.id}&limit=100`, { token: env.owner.token })).body.items as any[]).find((c) => c.jid === GROUP);
    const items = (await env.http.get(`/api/chats/${chat.id}/messages?limit=100`, { token: env.owner.token })).body.items as any[];
    const poll = items.find((m) => m.engineMessageId === 'ZSPOLL');
    expect(poll.content.votesUnavailable).toBeUndefined();
    expect(poll.pollVotes).toEqual([
      { option: 'Pizza', count: 2, voters: expect.arrayContaining([A, B]) },
      { option: 'Sushi', count: 0, voters: [] },
      { option: 'Tacos', count: 1, voters: [C_LID] },
    ]);
    expect(items.map((m) => m.engineMessageId).sort()).toEqual(['ZSPOLL']);
  });
});

describe('WuzAPI history polls', () => {
  it('when a HistorySync poll carries the votes the phone already opened (pollUpdates), then they are counted, and the poll keeps its secret', async () => {
    const d = await connectedDevice('wuzapi', '4930720000008');
    const GROUP = '120363000000000777@g.us';
    const ts = Math.floor(Date.now() / 1000) - 3600;
    const { createHash } = await import('node:crypto');
    const h = (o: string) => b64(createHash('sha256').update(o).digest());
    // waHistorySync.Conversation.messages[].message = WebMessageInfo {key, message, messageTimestamp, pollUpdates, messageSecret}.
    const item = {
      message: {
        key: { remoteJID: GROUP, fromMe: false, ID: 'HPOLL', participant: '4915770000050@s.whatsapp.net' },
        message: { pollCreationMessage: { name: 'Venue?', options: [{ optionName: 'Hall' }, { optionName: 'Park' }], selectableOptionsCount: 1 } },
        messageTimestamp: ts,
        messageSecret: b64(SECRET),
        pollUpdates: [
          { pollUpdateMessageKey: { remoteJID: GROUP, fromMe: false, ID: 'HV1', participant: '4915770000051@s.whatsapp.net' }, vote: { selectedOptions: [h('Park')] }, senderTimestampMS: ts * 1000 + 5000 },
          { pollUpdateMessageKey: { remoteJID: GROUP, fromMe: false, ID: 'HV2', participant: '4915770000052@s.whatsapp.net' }, vote: { selectedOptions: [h('Park')] }, senderTimestampMS: ts * 1000 + 6000 },
        ],
      },
    };
    const delivery = wuzDelivery(d.id, d.secret, 'HistorySync', { Data: { syncType: 'RECENT', conversations: [{ ID: GROUP, name: 'Venue group', messages: [item] }] } });
    await deliverAll([delivery, delivery]);
    const poll = (await row(d.id, 'HPOLL'))!;
    expect(poll.message_secret).toEqual(SECRET);
    expect(poll.content.votesUnavailable).toBeUndefined();
    const votes = await env.t.db('poll_votes').where({ device_id: d.id, poll_engine_id: 'HPOLL' }).orderBy('voter_jid').select('voter_jid', 'options');
    expect(votes).toEqual([
      { voter_jid: '4915770000051@s.whatsapp.net', options: ['Park'] },
      { voter_jid: '4915770000052@s.whatsapp.net', options: ['Park'] },
    ]);
  });

  it('when a HistorySync message carries its reactions (WebMessageInfo.reactions), or a reaction comes as an item of its own, then each person’s reaction is stored once', async () => {
    const d = await connectedDevice('wuzapi', '4930720000009');
    const GROUP = '120363000000000778@g.us';
    const ts = Math.floor(Date.now() / 1000) - 3600;
    const items = [
      {
        message: {
          key: { remoteJID: GROUP, fromMe: false, ID: 'HREACTED', participant: '4915770000060@s.whatsapp.net' },
          message: { conversation: 'Lunch at noon?' },
          messageTimestamp: ts,
          reactions: [
            { key: { remoteJID: GROUP, fromMe: false, ID: 'HR1', participant: '4915770000061@s.whatsapp.net' }, text: '👍', senderTimestampMS: ts * 1000 + 5000 },
            { key: { remoteJID: GROUP, fromMe: true, ID: 'HR2' }, text: '❤️', senderTimestampMS: ts * 1000 + 6000 },
          ],
        },
      },
      {
        message: {
          key: { remoteJID: GROUP, fromMe: false, ID: 'HR3', participant: '4915770000062@s.whatsapp.net' },
          message: { reactionMessage: { key: { remoteJID: GROUP, fromMe: false, ID: 'HREACTED', participant: '4915770000060@s.whatsapp.net' }, text: '😂', senderTimestampMS: ts * 1000 + 7000 } },
          messageTimestamp: ts + 7,
        },
      },
    ];
    const delivery = wuzDelivery(d.id, d.secret, 'HistorySync', { Data: { syncType: 'RECENT', conversations: [{ ID: GROUP, name: 'Lunch group', messages: items }] } });
    await deliverAll([delivery, delivery]);
    const reactions = await eventually(async () => {
      const rs = await env.t.db('message_reactions').where({ device_id: d.id, engine_message_id: 'HREACTED' }).orderBy('sender_jid').select('sender_jid', 'emoji');
      return rs.length === 3 ? rs : null;
    }, 10_000, 'three reactions');
    expect(reactions).toEqual([
      { sender_jid: '4915770000061@s.whatsapp.net', emoji: '👍' },
      { sender_jid: '4915770000062@s.whatsapp.net', emoji: '😂' },
      { sender_jid: 'me', emoji: '❤️' },
    ]);
    // The reaction item is not a message of its own.
    expect(await row(d.id, 'HR3')).toBeUndefined();
  });
});

describe('call lines', () => {
  it('when call events arrive repeated and shuffled, then each call is one line at its last state: answered, declined or missed (both engines)', async () => {
    const w = await connectedDevice('waha', '4930720000006');
    const WCHAT = '4915770000040@c.us';
    const ts = Math.floor(Date.now() / 1000) - 300;
    const call = (event: string, id: string, at: number, isVideo = false) => wahaDelivery(w.id, w.secret, event, { id, from: WCHAT, timestamp: at, isVideo, isGroup: false, _data: {} });
    await deliverAll(shuffled([
      call('call.received', 'WC1', ts, true), call('call.accepted', 'WC1', ts + 5), call('call.received', 'WC1', ts, true),
      call('call.received', 'WC2', ts + 60), call('call.rejected', 'WC2', ts + 62), call('call.rejected', 'WC2', ts + 62),
      call('call.received', 'WC3', ts + 120), call('call.received', 'WC3', ts + 120),
    ]));
    const wl = await env.t.db('messages').where({ device_id: w.id, kind: 'system' }).orderBy('engine_message_id').select('engine_message_id', 'type', 'content', 'sent_at');
    expect(wl.map((r) => [r.engine_message_id, r.type, r.content.video])).toEqual([
      ['CALLWC1', 'call_answered', true],
      ['CALLWC2', 'call_declined', false],
      ['CALLWC3', 'call_missed', false],
    ]);
    expect(new Date(wl[0].sent_at).getTime()).toBe(ts * 1000); // the offer's time, whichever came first

    const z = await connectedDevice('wuzapi', '4930720000007');
    const ZCHAT = '4915770000041@s.whatsapp.net';
    const at = (s: number) => new Date(Date.now() - 300_000 + s * 1000).toISOString();
    const meta = (id: string, s: number) => ({ From: ZCHAT, Timestamp: at(s), CallCreator: ZCHAT, CallID: id });
    await deliverAll(shuffled([
      wuzDelivery(z.id, z.secret, 'CallOffer', { ...meta('ZC1', 0), Data: { Tag: 'offer', Content: [{ Tag: 'video' }] } }),
      wuzDelivery(z.id, z.secret, 'CallAccept', meta('ZC1', 4)),
      wuzDelivery(z.id, z.secret, 'CallTerminate', { ...meta('ZC1', 90), Reason: '' }),
      wuzDelivery(z.id, z.secret, 'CallAccept', meta('ZC1', 4)),
      wuzDelivery(z.id, z.secret, 'CallOffer', { ...meta('ZC2', 100), Data: { Tag: 'offer', Content: [{ Tag: 'audio' }] } }),
      wuzDelivery(z.id, z.secret, 'CallTerminate', { ...meta('ZC2', 130), Reason: 'timeout' }),
    ]));
    const zl = await env.t.db('messages').where({ device_id: z.id, kind: 'system' }).orderBy('engine_message_id').select('engine_message_id', 'type', 'content');
    expect(zl.map((r) => [r.engine_message_id, r.type, r.content.video])).toEqual([
      ['CALLZC1', 'call_answered', true],
      ['CALLZC2', 'call_missed', false],
    ]);
    // The API tells the new type; the chat's preview and unread count ignore system lines.
    const chat = ((await env.http.get(`/api/chats?deviceId=${z.id}&limit=100`, { token: env.owner.token })).body.items as any[]).find((c) => c.jid === ZCHAT);
    const items = (await env.http.get(`/api/chats/${chat.id}/messages?limit=100`, { token: env.owner.token })).body.items as any[];
    expect(items.map((m) => [m.kind, m.type])).toEqual(expect.arrayContaining([['system', 'call_answered'], ['system', 'call_missed']]));
  });
});
