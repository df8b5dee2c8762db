import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/test-app.js';
import { makeOrg, makeUser } from '../support/factories.js';
import { client } from '../support/http.js';
import { login } from '../contacts/factories.js';
import { makeDevice } from '../conversations/world.js';
import type { DomainEvents } from '../../src/platform/events/domain-events.js';
import type { IngestItem } from '../../src/features/ingest/ingest.types.js';
import type { DeviceRow } from '../../src/features/devices/devices.repository.js';

let t: TestApp;
let org: { id: string };
let token: string;
beforeAll(async () => {
  t = await startTestApp({}, { background: false });
  org = await makeOrg(t.db);
  const editor = await makeUser(t.db, org.id, 'editor');
  token = await login(client(t.url), editor.email);
});
afterAll(() => t.close());

const http = () => client(t.url);

/** Records what a listener hears, and whether the fact was committed (seen from another connection) when it heard it. */
function hear<K extends keyof DomainEvents>(type: K, committed: (e: DomainEvents[K]) => Promise<boolean> = async () => true) {
  const heard: { e: DomainEvents[K]; committed: Promise<boolean> }[] = [];
  t.services.events.on(type, `test.${type}.${randomBytes(3).toString('hex')}`, (e) => {
    heard.push({ e, committed: committed(e) });
  });
  return heard;
}

const message = (id: string, over: Record<string, unknown> = {}) => ({
  kind: 'message' as const,
  message: { id, chatJid: '4930555000@s.whatsapp.net', senderJid: '4930555000@s.whatsapp.net', fromMe: false, timestamp: new Date(), type: 'text' as const, body: 'hi', isGroup: false, ...over },
});

describe('in-process domain events', () => {
  it('when the same new message is delivered three times, then message.received is heard once, after its row is committed', async () => {
    const device = await makeDevice(t.db, org.id, (await makeUser(t.db, org.id, 'editor')).id);
    const heard = hear('message.received', async (e) => !!(await t.db('messages').where({ id: e.messageId }).first()));
    const item: IngestItem = { device: { id: device.id, orgId: org.id, engine: 'waha', status: 'connected' }, eventId: null, events: [message('MSG-ONCE-1')] };
    await Promise.all([t.services.ingest.submit(item), t.services.ingest.submit(item)]);
    await t.services.ingest.submit(item);
    const mine = heard.filter((h) => h.e.deviceId === device.id);
    expect(mine).toHaveLength(1);
    expect(await mine[0]!.committed).toBe(true);
    const row = await t.db('messages').where({ device_id: device.id, engine_message_id: 'MSG-ONCE-1' }).first();
    expect(mine[0]!.e).toMatchObject({ orgId: org.id, deviceId: device.id, chatId: Number(row.chat_id), messageId: Number(row.id), direction: 'in', remoteMedia: false });
  });

  it('when a device turns connected inside a transaction that rolls back, then device.connected is never heard; when it commits, it is heard once', async () => {
    const owner = await makeUser(t.db, org.id, 'editor');
    const device = (await t.db('devices').where({ id: (await makeDevice(t.db, org.id, owner.id)).id }).update({ status: 'qr' }).returning('*'))[0] as DeviceRow;
    const heard = hear('device.connected', async (e) => (await t.db('devices').where({ id: e.deviceId }).first()).status === 'connected');
    await expect(
      t.db.transaction(async (trx) => {
        await t.services.devices.applyState(device, { status: 'connected' }, trx);
        throw new Error('rolled back on purpose');
      }),
    ).rejects.toThrow('rolled back on purpose');
    await new Promise((r) => setTimeout(r, 50));
    expect(heard.filter((h) => h.e.deviceId === device.id)).toHaveLength(0);
    expect((await t.db('devices').where({ id: device.id }).first()).status).toBe('qr');

    await t.services.devices.applyState(device, { status: 'connected' });
    const mine = heard.filter((h) => h.e.deviceId === device.id);
    expect(mine).toHaveLength(1);
    expect(await mine[0]!.committed).toBe(true);
  });

  it('when a status webhook connects a device, then device.status_changed and device.connected are heard once each, with the old and new status', async () => {
    const owner = await makeUser(t.db, org.id, 'editor');
    const d = await makeDevice(t.db, org.id, owner.id);
    await t.db('devices').where({ id: d.id }).update({ status: 'qr' });
    const changed = hear('device.status_changed');
    const connected = hear('device.connected');
    const item: IngestItem = { device: { id: d.id, orgId: org.id, engine: 'waha', status: 'qr' }, eventId: 'status-1', events: [{ kind: 'session.status', status: 'connected' }] };
    await t.services.ingest.submit(item);
    await t.services.ingest.submit(item); // a repeat changes nothing
    expect(changed.filter((h) => h.e.deviceId === d.id).map((h) => h.e)).toEqual([{ orgId: org.id, deviceId: d.id, status: 'connected', previous: 'qr' }]);
    expect(connected.filter((h) => h.e.deviceId === d.id)).toHaveLength(1);
  });

  it('when a CRM contact is created, edited and deleted, then contact.updated is logged for browsers and heard in process, each once after commit', async () => {
    const heard = hear('contact.updated', async (e) => !!(await t.db('contacts').where({ id: e.contactId }).first()));
    const created = await http().post('/api/contacts', { token, body: { name: 'Dora', phone: '+4915112345678' } });
    expect(created.status).toBe(201);
    const id = created.body.id as string;
    expect((await http().put(`/api/contacts/${id}`, { token, body: { name: 'Dora B.' } })).status).toBe(200);
    // A failing change (a number another contact has) rolls back: nothing heard, nothing logged.
    const other = await http().post('/api/contacts', { token, body: { name: 'Other', phone: '+4915187654321' } });
    expect((await http().put(`/api/contacts/${id}`, { token, body: { phone: '+4915187654321' } })).status).toBe(409);
    expect((await http().del(`/api/contacts/${id}`, { token })).status).toBe(204);

    const mine = heard.filter((h) => h.e.contactId === id);
    expect(mine.map((h) => h.e.deleted)).toEqual([false, false, true]);
    for (const h of mine) expect(await h.committed).toBe(true);
    const logged = await t.db('events').where({ type: 'contact.updated', org_id: org.id }).whereRaw(`data->>'id' = ?`, [id]).orderBy('id');
    expect(logged.map((e) => [e.data.name, e.data.deleted])).toEqual([
      ['Dora', false],
      ['Dora B.', false],
      ['Dora B.', true],
    ]);
    expect(heard.filter((h) => h.e.contactId === other.body.id)).toHaveLength(1);
  });

  it('when a listener throws (or rejects), then the publisher still answers, the other listeners still hear it, and the failure is counted in /metrics', async () => {
    t.services.events.on('contact.updated', 'test.throws', () => {
      throw new Error('listener bug');
    });
    t.services.events.on('contact.updated', 'test.rejects', async () => {
      throw new Error('async listener bug');
    });
    const after = hear('contact.updated');
    const r = await http().post('/api/contacts', { token, body: { name: 'Eve', phone: '+4915100000001' } });
    expect(r.status).toBe(201);
    expect(after.filter((h) => h.e.contactId === r.body.id)).toHaveLength(1);
    await new Promise((res) => setTimeout(res, 20));
    const metrics = await (await fetch(`${t.url}/metrics`)).text();
    expect(metrics).toMatch(/domain_event_listener_failures_total\{event="contact.updated",listener="test.throws",kind="in-process"\} 1/);
    expect(metrics).toMatch(/domain_event_listener_failures_total\{event="contact.updated",listener="test.rejects",kind="in-process"\} 1/);
  });
});
