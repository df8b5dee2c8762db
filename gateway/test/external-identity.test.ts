import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import jwt from 'jsonwebtoken';
import { startTestApp, type TestApp } from './support/test-app.js';
import { client } from './support/http.js';
import { makeOrg, makeUser } from './support/factories.js';

// An identity provider of our own making: an RSA key and its JWKS served over local HTTP.
const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const stranger = generateKeyPairSync('rsa', { modulusLength: 2048 });
const ISS = 'https://idp.example.test/';
const AUD = 'wa-gateway';

let jwks: Server;
let t: TestApp;
let http: ReturnType<typeof client>;
let orgId: string;

function sign(claims: object, key: KeyObject = privateKey, kid = 'k1', opts: jwt.SignOptions = {}) {
  const expiry = 'exp' in claims ? {} : { expiresIn: 60 };
  return jwt.sign(claims, key, { algorithm: 'RS256', keyid: kid, issuer: ISS, audience: AUD, ...expiry, ...opts });
}

beforeAll(async () => {
  jwks = createServer((_req, res) => {
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ keys: [{ ...publicKey.export({ format: 'jwk' }), kid: 'k1', use: 'sig', alg: 'RS256' }] }));
  });
  await new Promise<void>((r) => jwks.listen(0, '127.0.0.1', () => r()));
  t = await startTestApp({
    AUTH_JWKS_URL: `http://127.0.0.1:${(jwks.address() as AddressInfo).port}/.well-known/jwks.json`,
    AUTH_JWKS_ISSUER: ISS,
    AUTH_JWKS_AUDIENCE: AUD,
    AUTH_EXTERNAL_ORG_ID: '11111111-1111-4111-8111-111111111111',
  });
  await t.db('orgs').insert({ id: '11111111-1111-4111-8111-111111111111', name: 'External' });
  orgId = '11111111-1111-4111-8111-111111111111';
  http = client(t.url);
});
afterAll(async () => {
  await t.close();
  jwks.close();
});

describe('external identity provider (JWKS)', () => {
  it('when a provider token is seen for a new subject, then a viewer of the configured org is created once', async () => {
    const tok = sign({ sub: 'idp|123', email: 'Newcomer@Corp.test', name: 'New Comer' });
    const me = await http.get('/api/auth/me', { token: tok });
    expect(me.status).toBe(200);
    expect(me.body).toMatchObject({ email: 'newcomer@corp.test', role: 'viewer', orgId, name: 'New Comer' });
    const again = await http.get('/api/auth/me', { token: sign({ sub: 'idp|123', email: 'newcomer@corp.test' }) });
    expect(again.body.id).toBe(me.body.id);
    expect(await t.db('users').where({ external_subject: 'idp|123' })).toHaveLength(1);
  });

  it('when the email belongs to an existing user of the org, then the token maps to that user and keeps their role', async () => {
    const u = await makeUser(t.db, orgId, 'editor', { email: 'existing@corp.test' });
    const me = await http.get('/api/auth/me', { token: sign({ sub: 'idp|ex', email: 'existing@corp.test' }) });
    expect(me.body).toMatchObject({ id: u.id, role: 'editor' });
  });

  it('when the email belongs to a user of another org, then 401', async () => {
    const other = await makeOrg(t.db);
    await makeUser(t.db, other.id, 'admin', { email: 'elsewhere@corp.test' });
    expect((await http.get('/api/auth/me', { token: sign({ sub: 'idp|else', email: 'elsewhere@corp.test' }) })).status).toBe(401);
  });

  const bad: [string, () => string][] = [
    ['signed by a key not in the JWKS', () => sign({ sub: 'x', email: 'x@corp.test' }, stranger.privateKey)],
    ['with an unknown kid', () => sign({ sub: 'x', email: 'x@corp.test' }, privateKey, 'nope')],
    ['for another audience', () => sign({ sub: 'x', email: 'x@corp.test' }, privateKey, 'k1', { audience: 'other' })],
    ['expired', () => sign({ sub: 'x', email: 'x@corp.test', exp: Math.floor(Date.now() / 1000) - 5 })],
    ['HS256 signed with the public key as secret', () =>
      jwt.sign({ sub: 'x', email: 'x@corp.test' }, publicKey.export({ format: 'pem', type: 'spki' }) as string, { algorithm: 'HS256', issuer: ISS, audience: AUD, expiresIn: 60 })],
    ['without an email for a new subject', () => sign({ sub: 'idp|noemail' })],
  ];
  for (const [name, make] of bad) {
    it(`when the provider token is ${name}, then 401`, async () => {
      expect((await http.get('/api/auth/me', { token: make() })).status).toBe(401);
    });
  }
});
