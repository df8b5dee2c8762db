import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEngineEnv, eventually, control, replay, type EngineEnv, type Delivery } from '../support/engine-env.js';
import { wahaDelivery, wahaMsg, wuzDelivery, wuzMsg } from './signed-deliveries.js';
import { GROUP, VCARD, WAHA_CHAT, WUZ_CHAT, wahaKinds, wuzKinds } from './fixtures.js';
import { pairedDevice, shuffled } from '../support/paired-device.js';

let env: EngineEnv;
beforeAll(async () => {
  env = await startEngineEnv();
});
afterAll(() => env.close());

const connectedDevice = (engine: 'waha' | 'wuzapi', phone: string) => pairedDevice(env, engine, phone, `Kinds ${engine} ${phone}`);

async function deliverTwiceShuffled(ds: Delivery[]) {
  const all = shuffled([...ds, ...ds], 11);
  for (let i = 0; i < all.length; i += 4) {
    const res = await Promise.all(all.slice(i, i + 4).map((d) => replay(env.t.url, d)));
    for (const r of res) expect(r.status).toBe(200);
  }
}

type Msg = { id: number; kind: string; type: string; body: string | null; content: any; replyTo: string | null; engineMessageId: string; pollVotes?: any; editedAt: string | null; revoked: boolean };

async function timeline(deviceId: string, jid: string): Promise<{ chat: any; items: Msg[] }> {
  const chats = (await env.http.get(`/api/chats?deviceId=${deviceId}&limit=100`, { token: env.owner.token })).body.items as any[];
  const chat = chats.find((c) => c.jid === jid);
  expect(chat, jid).toBeTruthy();
  const items = (await env.http.get(`/api/chats/${chat.id}/messages?limit=100`, { token: env.owner.token })).body.items as Msg[];
  return { chat, items };
}
const byId = (items: Msg[], id: string) => items.find((m) => m.engineMessageId === id)!;

function expectKinds(items: Msg[], p: 'W' | 'Z') {
  expect(byId(items, `${p}TEXT`)).toMatchObject({ kind: 'message', type: 'text', body: 'plain text', content: null });
  expect(byId(items, `${p}LINK`)).toMatchObject({ type: 'text', body: 'see https://example.org/a', content: { type: 'link', url: 'https://example.org/a', title: 'Example A', description: 'An example page' } });
  expect(byId(items, `${p}LOC`)).toMatchObject({ type: 'location', content: { type: 'location', latitude: 52.52, longitude: 13.405, name: 'Brandenburger Tor', address: 'Pariser Platz, Berlin' } });
  expect(byId(items, `${p}VCARD`)).toMatchObject({ type: 'contact', body: 'Jane Doe', content: { type: 'contact', contacts: [{ name: 'Jane Doe', numbers: ['+49 170 1234567'], vcard: VCARD }] } });
  expect(byId(items, `${p}POLL`)).toMatchObject({ type: 'poll', body: 'Lunch?', content: { type: 'poll', question: 'Lunch?', options: ['Pizza', 'Sushi'], multiple: false } });
  expect(byId(items, `${p}TPL`)).toMatchObject({
    type: 'template',
    body: 'Your order has shipped.',
    content: { type: 'template', header: { text: 'Order #42', media: null }, body: 'Your order has shipped.', footer: 'ACME Shop', buttons: ['Thanks', 'Track (https://acme.test/t/42)'] },
  });
  expect(byId(items, `${p}REPLY`)).toMatchObject({ type: 'text', body: 'a reply', replyTo: `${p}TEXT` });
  const call = byId(items, `CALLCALL${p}1`);
  expect(call).toMatchObject({ kind: 'system', type: 'call_missed', body: null, content: { type: 'call', video: p === 'W', group: false } });
}

describe('every message kind a phone sends is stored once, with its fields', () => {
  it('when WAHA delivers each kind twice in shuffled order, then each is stored once with its fields, system lines apart from the preview', async () => {
    const d = await connectedDevice('waha', '4930710000001');
    await deliverTwiceShuffled(wahaKinds().map((k) => wahaDelivery(d.id, d.secret, k.event, k.payload)));
    const { chat, items } = await timeline(d.id, '4915770000010@s.whatsapp.net');
    expect(items).toHaveLength(8);
    expectKinds(items, 'W');
    // The preview is the last message, never a system line.
    expect(chat.lastMessagePreview).not.toBeNull();
    expect(items.find((m) => m.id === chat.lastMessageId)?.kind).toBe('message');
    const group = await timeline(d.id, GROUP);
    expect(group.chat.name).toBe('Team WAHA renamed');
    expect(group.items.map((m) => [m.kind, m.type]).sort()).toEqual([['system', 'group_joined'], ['system', 'group_joined'], ['system', 'group_left'], ['system', 'group_subject']].sort());
    expect(group.items.find((m) => m.type === 'group_subject')!.content).toMatchObject({ type: 'group', subject: 'Team WAHA renamed' });
    expect(group.items.find((m) => m.type === 'group_left')!.content).toMatchObject({ participants: ['4915770000011@s.whatsapp.net'] });
    // Search indexes messages only.
    const hits = (await env.http.get(`/api/search?q=Lunch`, { token: env.owner.token })).body.items as any[];
    expect(hits.some((h) => h.message.engineMessageId === 'WPOLL')).toBe(true);
  });

  it('when WuzAPI delivers each kind twice in shuffled order, then each is stored once with its fields', async () => {
    const d = await connectedDevice('wuzapi', '4930710000002');
    await deliverTwiceShuffled(wuzKinds().map((k) => wuzDelivery(d.id, d.secret, k.type, k.event)));
    const { items } = await timeline(d.id, WUZ_CHAT);
    expect(items).toHaveLength(8);
    expectKinds(items, 'Z');
    expect(byId(items, 'ZPOLL').content.votesUnavailable).toBe(true);
    const group = await timeline(d.id, GROUP);
    expect(group.chat.name).toBe('Team Wuz renamed');
    expect(group.items.map((m) => m.type).sort()).toEqual(['group_joined', 'group_joined', 'group_left', 'group_picture', 'group_subject'].sort());
  });

  it('when channel posts and status broadcasts arrive, then they are stored but kept out of the chat list', async () => {
    const d = await connectedDevice('waha', '4930710000003');
    await replay(env.t.url, wahaDelivery(d.id, d.secret, 'message', wahaMsg({ id: 'NEWS1', from: '120363999999999999@newsletter', body: 'channel post' })));
    await replay(env.t.url, wahaDelivery(d.id, d.secret, 'message', { ...wahaMsg({ id: 'STAT1', from: 'status@broadcast', body: 'a status' }), participant: '4915770000012@c.us' }));
    await replay(env.t.url, wahaDelivery(d.id, d.secret, 'message', wahaMsg({ id: 'PLAIN1', from: '4915770000012@c.us', body: 'a person' })));
    expect(await env.t.db('messages').where({ device_id: d.id }).whereIn('engine_message_id', ['NEWS1', 'STAT1', 'PLAIN1']).count<{ c: number }[]>('* as c')).toEqual([{ c: 3 }]);
    const jids = ((await env.http.get(`/api/chats?deviceId=${d.id}`, { token: env.owner.token })).body.items as any[]).map((c) => c.jid);
    expect(jids).toContain('4915770000012@s.whatsapp.net');
    expect(jids.some((j) => j.endsWith('@newsletter') || j.endsWith('@broadcast'))).toBe(false);
  });
});

describe('edits, poll votes and placeholders', () => {
  it('when WAHA delivers an encrypted edit and then a readable one, then both apply to the original, which lists its earlier text', async () => {
    const d = await connectedDevice('waha', '4930710000004');
    await replay(env.t.url, wahaDelivery(d.id, d.secret, 'message', wahaMsg({ id: 'ORIG1', from: WAHA_CHAT, body: 'first words', timestamp: Math.floor(Date.now() / 1000) - 100 })));
    // The payload from devlikeapro/waha#2168: message.edited, empty body, secretEncryptedMessage naming the original.
    const encrypted = {
      ...wahaMsg({ id: 'EDITMSG1', from: WAHA_CHAT, body: '', message: { secretEncryptedMessage: { targetMessageKey: { remoteJid: '4915770000010@s.whatsapp.net', fromMe: false, id: 'ORIG1' }, encPayload: 'kuluXJP6', encIv: 'abc', secretEncType: 'MESSAGE_EDIT' } } }),
      body: '',
    };
    expect((await replay(env.t.url, wahaDelivery(d.id, d.secret, 'message.edited', encrypted))).status).toBe(200);
    // The same edit as message.any (WAHA before 2026.5 leaked it so): no empty message of its own.
    expect((await replay(env.t.url, wahaDelivery(d.id, d.secret, 'message.any', encrypted))).status).toBe(200);
    let orig = (await env.t.db('messages').where({ device_id: d.id, engine_message_id: 'ORIG1' }).first())!;
    expect(orig.edited_at).not.toBeNull();
    expect(orig.body).toBe('first words');
    expect(await env.t.db('messages').where({ device_id: d.id, engine_message_id: 'EDITMSG1' }).first()).toBeUndefined();
    await replay(env.t.url, wahaDelivery(d.id, d.secret, 'message.edited', { ...wahaMsg({ id: 'EDITMSG2', from: WAHA_CHAT, body: 'better words' }), editedMessageId: 'ORIG1' }));
    orig = (await env.t.db('messages').where({ device_id: d.id, engine_message_id: 'ORIG1' }).first())!;
    const detail = (await env.http.get(`/api/messages/${orig.id}`, { token: env.owner.token })).body;
    expect(detail).toMatchObject({ body: 'better words', edits: [{ text: 'first words' }] });
    expect(detail.editedAt).not.toBeNull();
  });

  it('when WuzAPI delivers an edit (Info.Edit "1") before and after its original, then it is applied to the original, never a new message', async () => {
    const d = await connectedDevice('wuzapi', '4930710000005');
    const edit = (id: string, target: string, text: string, seconds: number) =>
      wuzDelivery(d.id, d.secret, 'Message', wuzMsg({ id, chat: WUZ_CHAT, timestamp: new Date(Date.now() + seconds * 1000).toISOString(), info: { Edit: '1' }, message: { protocolMessage: { key: { remoteJID: WUZ_CHAT, fromMe: false, ID: target }, type: 14, editedMessage: { conversation: text } } } }));
    // The edit first (engines do not keep order), then the original.
    await replay(env.t.url, edit('ZE1', 'ZORIG', 'edited text', 5));
    await replay(env.t.url, wuzDelivery(d.id, d.secret, 'Message', wuzMsg({ id: 'ZORIG', chat: WUZ_CHAT, message: { conversation: 'original text' } })));
    // An encrypted edit (secretEncryptedMessage) of a second message: marked edited, text kept.
    await replay(env.t.url, wuzDelivery(d.id, d.secret, 'Message', wuzMsg({ id: 'ZORIG2', chat: WUZ_CHAT, message: { conversation: 'second' } })));
    await replay(env.t.url, wuzDelivery(d.id, d.secret, 'Message', wuzMsg({ id: 'ZE2', chat: WUZ_CHAT, info: { Edit: '1' }, message: { secretEncryptedMessage: { targetMessageKey: { remoteJID: WUZ_CHAT, fromMe: false, ID: 'ZORIG2' }, encPayload: 'AAAA', encIv: 'BBBB', secretEncType: 2 } } })));
    const rows = await env.t.db('messages').where({ device_id: d.id }).select('engine_message_id', 'body', 'edited_at', 'edits');
    expect(rows.map((r) => r.engine_message_id).sort()).toEqual(['ZORIG', 'ZORIG2']);
    const orig = rows.find((r) => r.engine_message_id === 'ZORIG')!;
    expect(orig).toMatchObject({ body: 'edited text', edits: [{ text: 'original text' }] });
    expect(rows.find((r) => r.engine_message_id === 'ZORIG2')).toMatchObject({ body: 'second' });
    expect(rows.find((r) => r.engine_message_id === 'ZORIG2')!.edited_at).not.toBeNull();
  });

  it('when WAHA delivers poll votes (repeated, changed, out of order), then each voter’s latest choice is counted', async () => {
    const d = await connectedDevice('waha', '4930710000006');
    await replay(env.t.url, wahaDelivery(d.id, d.secret, 'message', wahaMsg({ id: 'POLLV', from: GROUP.replace('@g.us', '@g.us'), participant: '4915770000013@c.us', body: null, message: { pollCreationMessageV3: { name: 'Where?', options: [{ optionName: 'Here' }, { optionName: 'There' }], selectableOptionsCount: 1 } } })));
    const now = Date.now();
    const vote = (voter: string, options: string[], at: number) =>
      wahaDelivery(d.id, d.secret, 'poll.vote', { vote: { id: `false_${GROUP}_V${at}_${voter}`, selectedOptions: options, timestamp: at, to: GROUP, from: GROUP, fromMe: false, participant: voter }, poll: { id: `false_${GROUP}_POLLV_4915770000013@c.us`, to: GROUP, from: GROUP, fromMe: false } });
    const ds = [vote('4915770000014@c.us', ['There'], now - 3000), vote('4915770000014@c.us', ['Here'], now - 1000), vote('4915770000015@c.us', ['Here'], now - 2000), vote('4915770000016@c.us', ['There'], now - 2000)];
    await deliverTwiceShuffled(ds);
    const { items } = await timeline(d.id, GROUP);
    const poll = byId(items, 'POLLV');
    expect(poll.pollVotes).toEqual([
      { option: 'Here', count: 2, voters: expect.arrayContaining(['4915770000014@s.whatsapp.net', '4915770000015@s.whatsapp.net']) },
      { option: 'There', count: 1, voters: ['4915770000016@s.whatsapp.net'] },
    ]);
    const [ev] = await env.t.db('events').where({ device_id: d.id, type: 'message.updated' }).orderBy('id', 'desc').limit(1).pluck('data');
    expect(ev.pollVotes).toHaveLength(2);
  });

  it('when an undecryptable placeholder arrives, then "waiting for this message" is stored and replaced in place by the real one (both engines)', async () => {
    const w = await connectedDevice('wuzapi', '4930710000007');
    await replay(env.t.url, wuzDelivery(w.id, w.secret, 'UndecryptableMessage', { Info: wuzMsg({ id: 'ZPEND', chat: WUZ_CHAT, message: {} }).Info, IsUnavailable: false, UnavailableType: '', DecryptFailMode: '' }));
    const before = (await env.t.db('messages').where({ device_id: w.id, engine_message_id: 'ZPEND' }).first())!;
    expect(before).toMatchObject({ type: 'pending_decryption', body: null });
    await replay(env.t.url, wuzDelivery(w.id, w.secret, 'Message', wuzMsg({ id: 'ZPEND', chat: WUZ_CHAT, message: { conversation: 'now readable' } })));
    // A late duplicate placeholder changes nothing.
    await replay(env.t.url, wuzDelivery(w.id, w.secret, 'UndecryptableMessage', { Info: wuzMsg({ id: 'ZPEND', chat: WUZ_CHAT, message: {} }).Info }));
    const after = await env.t.db('messages').where({ device_id: w.id, engine_message_id: 'ZPEND' }).select('id', 'type', 'body');
    expect(after).toEqual([{ id: before.id, type: 'text', body: 'now readable' }]);

    const d = await connectedDevice('waha', '4930710000008');
    const stub = wahaMsg({ id: 'WPEND', from: WAHA_CHAT, body: null, message: {} });
    (stub._data as Record<string, unknown>).messageStubType = 2; // CIPHERTEXT
    delete (stub._data as Record<string, unknown>).message;
    await replay(env.t.url, wahaDelivery(d.id, d.secret, 'message', stub));
    const p = (await env.t.db('messages').where({ device_id: d.id, engine_message_id: 'WPEND' }).first())!;
    expect(p.type).toBe('pending_decryption');
    await replay(env.t.url, wahaDelivery(d.id, d.secret, 'message', wahaMsg({ id: 'WPEND', from: WAHA_CHAT, body: 'real one' })));
    expect(await env.t.db('messages').where({ device_id: d.id, engine_message_id: 'WPEND' }).select('id', 'type', 'body')).toEqual([{ id: p.id, type: 'text', body: 'real one' }]);
    // WAHA's own event for it (message.waiting), then the real one.
    await replay(env.t.url, wahaDelivery(d.id, d.secret, 'message.waiting', wahaMsg({ id: 'WPEND2', from: WAHA_CHAT, body: null, message: {} })));
    expect(await env.t.db('messages').where({ device_id: d.id, engine_message_id: 'WPEND2' }).first('type')).toEqual({ type: 'pending_decryption' });
    await replay(env.t.url, wahaDelivery(d.id, d.secret, 'message', wahaMsg({ id: 'WPEND2', from: WAHA_CHAT, body: 'arrived' })));
    expect(await env.t.db('messages').where({ device_id: d.id, engine_message_id: 'WPEND2' }).select('type', 'body')).toEqual([{ type: 'text', body: 'arrived' }]);
  });

  it('when an edit reaches a placeholder before its real message, then the edit stays and the real text is its earlier version; a revoke stays too', async () => {
    const d = await connectedDevice('waha', '4930710000009');
    const sent = Math.floor(Date.now() / 1000) - 60;
    await replay(env.t.url, wahaDelivery(d.id, d.secret, 'message.waiting', wahaMsg({ id: 'WPEND3', from: WAHA_CHAT, body: null, message: {}, timestamp: sent })));
    await replay(env.t.url, wahaDelivery(d.id, d.secret, 'message.edited', { ...wahaMsg({ id: 'WEDIT3', from: WAHA_CHAT, body: 'edited words' }), editedMessageId: 'WPEND3' }));
    await replay(env.t.url, wahaDelivery(d.id, d.secret, 'message', wahaMsg({ id: 'WPEND3', from: WAHA_CHAT, body: 'original words', timestamp: sent })));
    const row = (await env.t.db('messages').where({ device_id: d.id, engine_message_id: 'WPEND3' }).first())!;
    expect(row).toMatchObject({ type: 'text', body: 'edited words' });
    const detail = (await env.http.get(`/api/messages/${row.id}`, { token: env.owner.token })).body;
    expect(detail).toMatchObject({ body: 'edited words', edits: [{ text: 'original words' }] });
    expect(detail.edits).toHaveLength(1);
    expect(detail.editedAt).not.toBeNull();

    await replay(env.t.url, wahaDelivery(d.id, d.secret, 'message.waiting', wahaMsg({ id: 'WPEND4', from: WAHA_CHAT, body: null, message: {} })));
    await replay(env.t.url, wahaDelivery(d.id, d.secret, 'message.revoked', { revokedMessageId: 'WPEND4', before: { id: 'WPEND4' }, after: {} }));
    await replay(env.t.url, wahaDelivery(d.id, d.secret, 'message', wahaMsg({ id: 'WPEND4', from: WAHA_CHAT, body: 'said and taken back' })));
    const gone = (await env.t.db('messages').where({ device_id: d.id, engine_message_id: 'WPEND4' }).first())!;
    expect(gone.revoked_at).not.toBeNull();
    expect(gone.body).toBeNull();
  });
});
