// Pure pieces of the engines feature: canonical JIDs, the registry, proxy rules, error messages.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { AppError } from '../../src/platform/errors.js';
import { EngineRegistry, type EnginesConfig } from '../../src/features/engines/engine-registry.js';
import { engineMessageOf } from '../../src/features/engines/engine-http.js';
import { digitsOf, isGroup, isLid, toCanonical, toWaha, toWuzapi } from '../../src/features/engines/jid.js';

const cfg: EnginesConfig = {
  wahaUrl: 'http://waha:3000', wahaApiKey: 'key', wahaSessionMode: 'per-device', wuzapiUrl: undefined, wuzapiAdminToken: 'adm', timeoutMs: 1000, retries: 0,
};

describe('canonical JIDs', () => {
  it('when an engine or a caller gives any JID form, then one canonical form comes out', () => {
    expect(toCanonical('15551234567@c.us')).toBe('15551234567@s.whatsapp.net');
    expect(toCanonical('15551234567:12@s.whatsapp.net')).toBe('15551234567@s.whatsapp.net');
    expect(toCanonical('+1 (555) 123-4567')).toBe('15551234567@s.whatsapp.net');
    expect(toCanonical('123456789012345:3@lid')).toBe('123456789012345@lid');
    expect(toCanonical('120363000000000001@g.us')).toBe('120363000000000001@g.us');
    expect(toCanonical('status@broadcast')).toBe('status@broadcast');
    expect(toCanonical('1234@newsletter')).toBe('1234@newsletter');
    for (const bad of ['', '   ', 'abc', '12', null, undefined, '@c.us']) expect(toCanonical(bad)).toBeNull();
  });

  it('when a canonical JID goes to an engine, then each gets its own spelling', () => {
    expect(toWaha('15551234567@s.whatsapp.net')).toBe('15551234567@c.us');
    expect(toWaha('120363000000000001@g.us')).toBe('120363000000000001@g.us');
    expect(toWaha('123@lid')).toBe('123@lid');
    expect(toWuzapi('15551234567@c.us')).toBe('15551234567@s.whatsapp.net');
    expect(digitsOf('1555:12@s.whatsapp.net')).toBe('1555');
    expect(isGroup('1@g.us') && isLid('1@lid') && !isGroup('1@c.us') && !isLid(null)).toBe(true);
  });
});

describe('engine registry', () => {
  it('when an engine has no URL, then asking for its adapter is 400 engine_not_configured, unless the device carries its own', () => {
    const reg = new EngineRegistry(cfg);
    expect(reg.configured()).toEqual(['waha']);
    expect(reg.adapter('waha').kind).toBe('waha');
    expect(reg.adapter('waha')).toBe(reg.adapter('waha'));
    expect(() => reg.adapter('wuzapi')).toThrow(expect.objectContaining({ code: 'engine_not_configured', status: 400 }));
    expect(reg.adapter('wuzapi', { baseUrl: 'http://own:8080' }).kind).toBe('wuzapi');
    expect(new EngineRegistry({ ...cfg, wahaUrl: undefined, wahaSessionMode: 'default' }).adapter('waha').kind).toBe('waha');
  });

  it('when a session name is made for a device, then it is WAHA-safe and short, or "default" in one-WAHA-per-device mode', () => {
    const id = '0f8fad5b-d9cb-469f-a165-70867728950e';
    const reg = new EngineRegistry(cfg);
    expect(reg.sessionNameFor('waha', id)).toBe('dev_0f8fad5bd9cb469fa16570867728950e');
    expect(reg.sessionNameFor('waha', id)).toMatch(/^[a-zA-Z0-9_-]{1,40}$/);
    expect(reg.sessionNameFor('wuzapi', id)).toBe('dev_0f8fad5bd9cb469fa16570867728950e');
    expect(new EngineRegistry({ ...cfg, wahaSessionMode: 'default' }).sessionNameFor('waha', id)).toBe('default');
  });

  it('when a device carries its own URL, then calls go there and the proxy points there', async () => {
    const seen: string[] = [];
    const server = http.createServer((req, res) => {
      seen.push(`${req.method} ${req.url} ${req.headers['x-api-key']}`);
      if (req.url?.endsWith('/chats?limit=5&offset=0&sortBy=conversationTimestamp&sortOrder=desc')) {
        res.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ message: `Cannot GET ${req.url}`, statusCode: 404 }));
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify([{ id: '1555@c.us', name: 'Ana', lastMessage: { timestamp: 1_700_000_000 } }]));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const own = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      const s = { engine: 'waha' as const, session: 'default', baseUrl: own };
      const waha = new EngineRegistry({ ...cfg, wahaSessionMode: 'default' }).adapter('waha', s);
      // A WAHA without the plain chat list: the adapter falls back to the overview.
      expect(await waha.listChats(s, { offset: 0, limit: 5 })).toEqual([
        { jid: '1555@s.whatsapp.net', name: 'Ana', isGroup: false, lastMessageAt: new Date(1_700_000_000_000), messageCount: null },
      ]);
      expect(seen[1]).toBe('GET /api/default/chats/overview?limit=5&offset=0 key');
      expect(waha.proxyRules(s).baseUrl).toBe(own);
      expect(waha.proxyRules(s).authHeaders).toEqual({ 'X-Api-Key': 'key' });
    } finally {
      server.close();
      server.closeAllConnections();
    }
  });
});

describe('WAHA proxy rules', () => {
  const rules = new EngineRegistry(cfg).adapter('waha').proxyRules({ engine: 'waha', session: 'dev_mine' });

  it('when a path is an engine admin or server route, or another session\'s, then it is admin', () => {
    for (const [m, p] of [
      ['GET', '/api/sessions'], ['POST', '/api/sessions'], ['GET', '/api/sessions?all=true'], ['GET', '/api/sessions/dev_other'],
      ['PUT', '/api/sessions/dev_mine'], ['DELETE', '/api/sessions/dev_mine'], ['POST', '/api/sessions/dev_mine/stop'],
      ['POST', '/api/sessions/dev_mine/logout'], ['GET', '/api/server/status'], ['GET', '/api/server'], ['GET', '/api/keys'],
      ['POST', '/api/keys/abc'], ['GET', '/api/version'], ['GET', '/API/Server/stop'], ['GET', '/dashboard'], ['GET', '/api/dev_mine/../sessions'],
      ['GET', '/api/%2e%2e/sessions'], ['GET', '/api/a%2Fb/chats'],
      ['GET', '/api/sessions/dev_mine'], // its config carries the webhook HMAC key
    ] as const) expect(rules.isAdminPath(m, p), `${m} ${p}`).toBe(true);
    for (const [m, p] of [
      ['GET', '/api/sessions/dev_mine/me'], ['POST', '/api/sendText'], ['GET', '/api/dev_mine/chats'],
      ['GET', '/api/dev_other/chats'], ['GET', '/api/contacts/all?session=x'],
    ] as const) expect(rules.isAdminPath(m, p), `${m} ${p}`).toBe(false);
  });

  it('when a call names a session in its path, query or body, then it is forced to ours', () => {
    expect(rules.forceSession('/api/dev_other/chats?limit=5', undefined)).toEqual({ path: '/api/dev_mine/chats?limit=5', body: undefined });
    expect(rules.forceSession('/api/default/chats/1555%40c.us/messages', undefined).path).toBe('/api/dev_mine/chats/1555%40c.us/messages');
    expect(rules.forceSession('/api/sessions/dev_other/me', undefined).path).toBe('/api/sessions/dev_mine/me');
    expect(rules.forceSession('/api/contacts/all?session=dev_other&limit=2', undefined).path).toBe('/api/contacts/all?session=dev_mine&limit=2');
    expect(rules.forceSession('/api/contacts/all', undefined).path).toBe('/api/contacts/all?session=dev_mine'); // WAHA would default to "default"
    expect(rules.forceSession('/api/sendText', { session: 'dev_other', chatId: '1@c.us', text: 'x' }).body).toEqual({ session: 'dev_mine', chatId: '1@c.us', text: 'x' });
    expect(rules.forceSession('/api/sendText', { chatId: '1@c.us', text: 'x' }).body).toEqual({ session: 'dev_mine', chatId: '1@c.us', text: 'x' });
    expect(rules.forceSession('/api/dev_mine/presence', { presence: 'online' }).body).toEqual({ presence: 'online' });
    expect(rules.forceSession('/api/files/dev_other/a.jpg', undefined).path).toBe('/api/files/dev_mine/a.jpg');
  });
});

describe('WuzAPI proxy rules', () => {
  const rules = new EngineRegistry({ ...cfg, wuzapiUrl: 'http://wuz:8080' }).adapter('wuzapi').proxyRules({ engine: 'wuzapi', session: 'dev_x', token: 'tok' });

  it('when a path is an admin route or would move the user\'s webhooks, then it is admin; the Token header is the session', () => {
    expect(rules.authHeaders).toEqual({ Token: 'tok' });
    expect(rules.baseUrl).toBe('http://wuz:8080');
    for (const [m, p] of [['GET', '/admin/users'], ['DELETE', '/Admin/users/1/full'], ['POST', '/webhook'], ['POST', '/session/hmac/config'], ['GET', '/chat/../admin/users']] as const) {
      expect(rules.isAdminPath(m, p), `${m} ${p}`).toBe(true);
    }
    for (const [m, p] of [['POST', '/chat/send/text'], ['GET', '/session/status'], ['GET', '/webhook'], ['GET', '/user/contacts']] as const) {
      expect(rules.isAdminPath(m, p), `${m} ${p}`).toBe(false);
    }
    expect(rules.forceSession('/chat/send/text', { Phone: '1' })).toEqual({ path: '/chat/send/text', body: { Phone: '1' } });
    expect(rules.forceSession('/session/status?token=other&x=1', undefined).path).toBe('/session/status?x=1');
  });
});

describe('engine error messages', () => {
  it('when an engine answers an error, then its own words are extracted from either engine\'s shape', () => {
    expect(engineMessageOf({ message: 'Session "x" does not exist', statusCode: 404 }, 404)).toBe('Session "x" does not exist');
    expect(engineMessageOf({ statusCode: 400, message: ['chatId should not be empty', 'text should not be empty'] }, 400)).toBe('chatId should not be empty; text should not be empty');
    expect(engineMessageOf({ error: 'Session status is not as expected', status: 'STARTING' }, 422)).toBe('Session status is not as expected');
    expect(engineMessageOf({ code: 400, error: 'missing Phone in Payload', success: false }, 400)).toBe('missing Phone in Payload');
    expect(engineMessageOf('Bad Gateway', 502)).toBe('Bad Gateway');
    expect(engineMessageOf(null, 500)).toBe('HTTP 500');
    expect(new AppError('x', 1, 'y')).toBeInstanceOf(Error);
  });
});
