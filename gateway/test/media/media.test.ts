import { randomUUID } from 'node:crypto';
import { PNG } from 'pngjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, type EngineEnv } from '../support/engine-env.js';
import { makeOrg, makeUser } from '../support/factories.js';
import { connectedDevice, inboundChat, sentBy, startOutboxEnv, waitStatus, type Device } from '../outbox/outbox-env.js';

const MAX = 200_000;
let env: EngineEnv;
let waha: Device;
let wuz: Device;
let wahaChat: number;
let wuzChat: number;
let stranger: string;
let grantee: string;
let viewer: string;

function png(w = 8, h = 8): Buffer {
  const p = new PNG({ width: w, height: h });
  for (let i = 0; i < p.data.length; i++) p.data[i] = (i * 37) % 256;
  return PNG.sync.write(p);
}
// An ELF header: what a renamed Linux executable starts with.
const elf = Buffer.concat([Buffer.from([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0]), Buffer.alloc(120, 0)]);
const pdf = Buffer.from('%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n');

beforeAll(async () => {
  env = await startOutboxEnv({ MEDIA_MAX_BYTES: String(MAX) });
  [waha, wuz] = await Promise.all([connectedDevice(env, 'waha'), connectedDevice(env, 'wuzapi')]);
  wahaChat = (await inboundChat(env, waha, '+4915130000001')).chatId;
  wuzChat = (await inboundChat(env, wuz, '+4915130000002')).chatId;
  stranger = await env.login((await makeUser(env.t.db, env.org.id, 'editor')).email);
  const g = await makeUser(env.t.db, env.org.id, 'editor');
  await env.t.db('chat_shares').insert({ org_id: env.org.id, chat_id: wahaChat, grantee_id: g.id, granted_by: env.owner.id });
  grantee = await env.login(g.email);
  const v = await makeUser(env.t.db, env.org.id, 'viewer');
  await env.http.post(`/api/devices/${waha.id}/members`, { token: env.owner.token, body: { userId: v.id, role: 'viewer' } });
  viewer = await env.login(v.email);
});
afterAll(() => env.close());

function upload(chatId: number, file: Buffer, name: string, type: string, fields: Record<string, string> = {}, token = env.owner.token) {
  const form = new FormData();
  form.set('clientId', fields.clientId ?? randomUUID());
  for (const [k, v] of Object.entries(fields)) form.set(k, v);
  form.set('file', new Blob([new Uint8Array(file)], { type }), name);
  return fetch(`${env.t.url}/api/chats/${chatId}/messages`, { method: 'POST', headers: { authorization: `Bearer ${token}` }, body: form });
}

const getMedia = (id: string, token: string) => fetch(`${env.t.url}/api/media/${id}`, { headers: { authorization: `Bearer ${token}` } });
const count = async (table: string) => Number((await env.t.db(table).count<{ c: number }[]>('* as c'))[0]!.c);

describe('outgoing media', () => {
  it('when an executable is uploaded as photo.jpg, then 415 unsupported_media and nothing is stored', async () => {
    const before = { messages: await count('messages'), media: await count('media') };
    const r = await upload(wahaChat, elf, 'photo.jpg', 'image/jpeg');
    expect(r.status).toBe(415);
    expect((await r.json()).error.code).toBe('unsupported_media');
    expect({ messages: await count('messages'), media: await count('media') }).toEqual(before);
  });

  it('when a .txt or .csv file of UTF-8 text is uploaded, then it goes out as a document; binary bytes, a NUL, or broken UTF-8 under a text name are 415', async () => {
    const csv = Buffer.from('name;city\r\nJosé;Köln\r\n');
    const r = await upload(wahaChat, csv, 'Kunden.csv', 'application/octet-stream');
    expect(r.status).toBe(202);
    const m = await r.json();
    expect(m).toMatchObject({ type: 'document', media: { mimetype: 'text/csv', filename: 'Kunden.csv', size: csv.length } });
    await waitStatus(env, m.id, 'sent');
    const txt = await upload(wuzChat, Buffer.from('Notes\n\tline two\n'), 'notes.TXT', 'text/plain');
    expect(txt.status).toBe(202);
    expect((await txt.json()).media).toMatchObject({ mimetype: 'text/plain', filename: 'notes.txt' });

    const before = { messages: await count('messages'), media: await count('media') };
    for (const [bytes, name] of [
      [elf, 'readme.txt'],
      [Buffer.from('plain\u0000text'), 'nul.txt'],
      [Buffer.from([0x68, 0x69, 0xc3, 0x28]), 'broken.csv'],
      [Buffer.from('just text'), 'script.sh'],
    ] as const) {
      const bad = await upload(wahaChat, bytes, name, 'text/plain');
      expect(bad.status, name).toBe(415);
      expect((await bad.json()).error.code).toBe('unsupported_media');
    }
    expect({ messages: await count('messages'), media: await count('media') }).toEqual(before);
  });

  it('when a file is over MEDIA_MAX_BYTES, then 413', async () => {
    const big = Buffer.concat([png(), Buffer.alloc(MAX + 10, 1)]);
    const r = await upload(wahaChat, big, 'big.png', 'image/png');
    expect(r.status).toBe(413);
    expect((await r.json()).error.code).toBe('media_too_large');
  });

  it.each([
    ['waha', () => [waha, wahaChat] as const],
    ['wuzapi', () => [wuz, wuzChat] as const],
  ])('when an image is uploaded on %s, then it is sent as an image and its bytes are served to the owner only', async (engine, pick) => {
    const [d, chatId] = pick();
    const bytes = png(9 + (engine === 'waha' ? 0 : 1));
    const caption = `look ${randomUUID()}`;
    const r = await upload(chatId, bytes, 'holiday.png', 'application/octet-stream', { text: caption });
    expect(r.status).toBe(202);
    const m = await r.json();
    expect(m).toMatchObject({ type: 'image', body: caption, status: 'pending', media: { mimetype: 'image/png', filename: 'holiday.png', size: bytes.length } });
    await waitStatus(env, m.id, 'sent');
    const s = (await sentBy(env, d)).find((x) => (x.request.caption ?? x.request.Caption) === caption)!;
    expect(s.kind).toBe('image');
    if (engine === 'waha') expect(s.request.file.mimetype).toBe('image/png');
    else expect(s.request.Image).toBe(`data:image/png;base64,${bytes.toString('base64')}`);

    const own = await getMedia(m.media.mediaId, env.owner.token);
    expect(own.status).toBe(200);
    expect(own.headers.get('content-type')).toBe('image/png');
    expect(own.headers.get('content-length')).toBe(String(bytes.length));
    expect(own.headers.get('x-content-type-options')).toBe('nosniff');
    expect(Buffer.from(await own.arrayBuffer()).equals(bytes)).toBe(true);
    expect((await getMedia(m.media.mediaId, stranger)).status).toBe(404);
    await env.sim.webhooksIdle(5_000);
    expect(await env.t.db('messages').where({ chat_id: chatId, body: caption })).toHaveLength(1);
  });

  it('when a PDF is uploaded, then it goes out as a document and is served as an attachment; grantee and viewer may read it, a stranger may not', async () => {
    const r = await upload(wahaChat, pdf, '../../etc/report.pdf', 'application/pdf', { text: 'the report' });
    expect(r.status).toBe(202);
    const m = await r.json();
    expect(m).toMatchObject({ type: 'document', media: { mimetype: 'application/pdf', filename: 'report.pdf' } });
    await waitStatus(env, m.id, 'sent');
    const s = (await sentBy(env, waha)).find((x) => x.request.caption === 'the report')!;
    expect(s.kind).toBe('file');
    const got = await getMedia(m.media.mediaId, env.owner.token);
    expect(got.headers.get('content-disposition')).toMatch(/^attachment/);
    expect(got.headers.get('content-type')).toBe('application/pdf');
    expect((await getMedia(m.media.mediaId, grantee)).status).toBe(200);
    expect((await getMedia(m.media.mediaId, viewer)).status).toBe(200);
    expect((await getMedia(m.media.mediaId, stranger)).status).toBe(404);
    const outsider = await env.login((await makeUser(env.t.db, (await makeOrg(env.t.db)).id, 'admin')).email);
    expect((await getMedia(m.media.mediaId, outsider)).status).toBe(404);
  });

  it.each([
    ['waha', () => [waha, wahaChat] as const, 'voice'],
    ['wuzapi', () => [wuz, wuzChat] as const, 'audio'],
  ])('when an ogg/opus recording is uploaded on %s, then it goes out as audio', async (_e, pick, kind) => {
    const [d, chatId] = pick();
    // An Ogg page whose first packet is an Opus header: what a voice note starts with.
    const ogg = Buffer.concat([Buffer.from('OggS'), Buffer.alloc(24, 0), Buffer.from('OpusHead'), Buffer.from(randomUUID()), Buffer.alloc(64, 3)]);
    const r = await upload(chatId, ogg, 'note.ogg', 'audio/ogg');
    expect(r.status).toBe(202);
    const m = await r.json();
    expect(m).toMatchObject({ type: 'audio', media: { mimetype: 'audio/ogg' } });
    await waitStatus(env, m.id, 'sent');
    const s = (await sentBy(env, d)).filter((x) => x.kind === kind).at(-1)!;
    if (kind === 'voice') expect(s.request.convert).toBe(false);
    else expect(s.request.Audio).toMatch(/^data:audio\/ogg;base64,|^<\d+ chars>$/);
  });

  it('when a viewer or grantee uploads, then 403 and nothing is stored', async () => {
    const before = await count('media');
    expect((await upload(wahaChat, png(5), 'x.png', 'image/png', {}, viewer)).status).toBe(403);
    expect((await upload(wahaChat, png(5), 'x.png', 'image/png', {}, grantee)).status).toBe(403);
    expect((await upload(wahaChat, png(5), 'x.png', 'image/png', {}, stranger)).status).toBe(404);
    expect(await count('media')).toBe(before);
  });

  it('when the media id is unknown or malformed, then 404', async () => {
    expect((await getMedia(randomUUID(), env.owner.token)).status).toBe(404);
    expect((await getMedia('..%2F..%2Fetc%2Fpasswd', env.owner.token)).status).toBe(404);
  });
});

describe('incoming media', () => {
  it.each([
    ['wuzapi (inline base64)', () => wuz],
    ['waha (media.url fetched with the API key)', () => waha],
  ])('when a contact sends an image on %s, then it is stored and readable via /api/media/:id', async (_e, pick) => {
    const d = pick();
    const bytes = png(11);
    const caption = `incoming ${randomUUID()}`;
    const { message } = await inboundChat(env, d, '+4915130000009', caption, { media: { mimetype: 'image/png', filename: 'in.png', data: bytes.toString('base64') } });
    const row = await eventually(async () => {
      const m = await env.t.db('messages').where({ id: message.id }).first();
      return m.media?.mediaId ? m : undefined;
    }, 10_000, 'media stored');
    expect(row.media).toMatchObject({ mimetype: 'image/png', size: bytes.length });
    const got = await getMedia(row.media.mediaId, env.owner.token);
    expect(got.status).toBe(200);
    expect(Buffer.from(await got.arrayBuffer()).equals(bytes)).toBe(true);
    expect((await getMedia(row.media.mediaId, stranger)).status).toBe(404);
    const shown = await env.t.db('events').whereRaw(`(data->>'id')::bigint = ?`, [message.id]).orderBy('id', 'desc').first();
    expect(shown.data.media.mediaId).toBe(row.media.mediaId);
  });
});
