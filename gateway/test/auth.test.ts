import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import jwt from 'jsonwebtoken';
import { startTestApp, TEST_SECRET, type TestApp } from './support/test-app.js';
import { pruneRateLimits } from '../src/features/auth/rate-limit.store.js';
import { client } from './support/http.js';
import { makeOrg, makeUser, PASSWORD } from './support/factories.js';

let t: TestApp;
let http: ReturnType<typeof client>;

beforeAll(async () => {
  t = await startTestApp({ LOGIN_RATE_MAX_PER_EMAIL: '5', LOGIN_RATE_MAX_PER_IP: '1000' });
  http = client(t.url);
});
afterAll(() => t.close());

const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');

describe('auth', () => {
  it('when an organization registers, then its admin gets tokens and /me answers with the admin', async () => {
    const reg = await http.post('/api/auth/register', {
      body: { orgName: 'Acme', name: 'Ada', email: 'Ada@Acme.test', password: 'long-enough-password' },
    });
    expect(reg.status).toBe(201);
    expect(reg.body.user).toMatchObject({ email: 'ada@acme.test', role: 'admin', name: 'Ada' });
    expect(reg.body.expiresIn).toBe(900);
    const me = await http.get('/api/auth/me', { token: reg.body.accessToken });
    expect(me.status).toBe(200);
    expect(me.body).toMatchObject({ email: 'ada@acme.test', role: 'admin', orgId: reg.body.user.orgId });
    const audit = await t.db('audit_log').where({ action: 'org.register', target_id: reg.body.user.id });
    expect(audit).toHaveLength(1);
  });

  it('when an email registers twice in any case, then the second is 409 email_taken', async () => {
    const body = { orgName: 'One', name: 'X', email: 'dup@x.test', password: 'long-enough-password' };
    expect((await http.post('/api/auth/register', { body })).status).toBe(201);
    const again = await http.post('/api/auth/register', { body: { ...body, email: 'DUP@x.test' } });
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe('email_taken');
  });

  it('when the register body is bad, then 400 names every failing field', async () => {
    const r = await http.post('/api/auth/register', { body: { orgName: '', email: 'not-an-email', password: 'short' } });
    expect(r.status).toBe(400);
    expect(r.body.error.code).toBe('validation_failed');
    const fields = r.body.error.details.map((d: { field: string }) => d.field).sort();
    expect(fields).toEqual(['email', 'name', 'orgName', 'password']);
  });

  it('when logging in with the right password in another letter case of email, then tokens are issued', async () => {
    const org = await makeOrg(t.db);
    const u = await makeUser(t.db, org.id, 'editor', { email: 'mixed@case.test' });
    const r = await http.post('/api/auth/login', { body: { email: 'MIXED@Case.test', password: PASSWORD } });
    expect(r.status).toBe(200);
    expect(r.body.user.id).toBe(u.id);
    const claims = jwt.verify(r.body.accessToken, TEST_SECRET, { algorithms: ['HS256'] }) as jwt.JwtPayload;
    expect(claims).toMatchObject({ sub: u.id, org: org.id, role: 'editor', iss: 'wa-gateway', aud: 'wa-gateway-web' });
    expect(claims.exp! - claims.iat!).toBe(900);
  });

  it('when the password is wrong or the email unknown, then both are the same 401', async () => {
    const org = await makeOrg(t.db);
    await makeUser(t.db, org.id, 'viewer', { email: 'wrongpw@x.test' });
    const a = await http.post('/api/auth/login', { body: { email: 'wrongpw@x.test', password: 'nope-nope-nope' } });
    const b = await http.post('/api/auth/login', { body: { email: 'nobody@x.test', password: 'nope-nope-nope' } });
    expect(a.status).toBe(401);
    expect(b.status).toBe(401);
    expect(a.body).toEqual(b.body);
    expect(a.body.error.code).toBe('invalid_credentials');
  });

  it('when a refresh token is used, then it rotates; when the spent one is shown again, then the whole family is revoked', async () => {
    const org = await makeOrg(t.db);
    const u = await makeUser(t.db, org.id, 'editor');
    const login = await http.post('/api/auth/login', { body: { email: u.email, password: PASSWORD } });
    const first = login.body.refreshToken;
    const r1 = await http.post('/api/auth/refresh', { body: { refreshToken: first } });
    expect(r1.status).toBe(200);
    expect(r1.body.refreshToken).not.toBe(first);
    expect((await http.get('/api/auth/me', { token: r1.body.accessToken })).status).toBe(200);

    const replay = await http.post('/api/auth/refresh', { body: { refreshToken: first } });
    expect(replay.status).toBe(401);
    expect(replay.body.error.code).toBe('refresh_token_reused');
    // The legitimate newest token of that family is dead too.
    const after = await http.post('/api/auth/refresh', { body: { refreshToken: r1.body.refreshToken } });
    expect(after.status).toBe(401);
  });

  it('when two logins exist and one family is revoked by reuse, then the other login still refreshes', async () => {
    const org = await makeOrg(t.db);
    const u = await makeUser(t.db, org.id, 'editor');
    const a = await http.post('/api/auth/login', { body: { email: u.email, password: PASSWORD } });
    const b = await http.post('/api/auth/login', { body: { email: u.email, password: PASSWORD } });
    await http.post('/api/auth/refresh', { body: { refreshToken: a.body.refreshToken } });
    await http.post('/api/auth/refresh', { body: { refreshToken: a.body.refreshToken } });
    expect((await http.post('/api/auth/refresh', { body: { refreshToken: b.body.refreshToken } })).status).toBe(200);
  });

  it('when logging out, then that refresh token no longer works; with everywhere, no session of the person does', async () => {
    const org = await makeOrg(t.db);
    const u = await makeUser(t.db, org.id, 'viewer');
    const a = await http.post('/api/auth/login', { body: { email: u.email, password: PASSWORD } });
    const b = await http.post('/api/auth/login', { body: { email: u.email, password: PASSWORD } });
    expect((await http.post('/api/auth/logout', { body: { refreshToken: a.body.refreshToken } })).status).toBe(204);
    expect((await http.post('/api/auth/refresh', { body: { refreshToken: a.body.refreshToken } })).status).toBe(401);
    expect((await http.post('/api/auth/refresh', { body: { refreshToken: b.body.refreshToken } })).status).toBe(200);
    const c = await http.post('/api/auth/login', { body: { email: u.email, password: PASSWORD } });
    await http.post('/api/auth/logout', { body: { refreshToken: c.body.refreshToken, everywhere: true } });
    const d = await http.post('/api/auth/login', { body: { email: u.email, password: PASSWORD } });
    expect((await http.post('/api/auth/refresh', { body: { refreshToken: c.body.refreshToken } })).status).toBe(401);
    expect((await http.post('/api/auth/refresh', { body: { refreshToken: d.body.refreshToken } })).status).toBe(200);
  });

  describe('bad access tokens', () => {
    let user: { id: string; org_id: string };
    beforeAll(async () => {
      const org = await makeOrg(t.db);
      user = await makeUser(t.db, org.id, 'admin');
    });
    const claims = () => ({ sub: user.id, org: user.org_id, role: 'admin' });
    const opts = { issuer: 'wa-gateway', audience: 'wa-gateway-web' };

    it('when the token is valid, then /me answers 200 (control)', async () => {
      const tok = jwt.sign(claims(), TEST_SECRET, { algorithm: 'HS256', expiresIn: 60, ...opts });
      expect((await http.get('/api/auth/me', { token: tok })).status).toBe(200);
    });

    const cases: [string, () => string][] = [
      ['expired', () => jwt.sign({ ...claims(), exp: Math.floor(Date.now() / 1000) - 10 }, TEST_SECRET, { algorithm: 'HS256', ...opts })],
      ['tampered', () => {
        const [h, , s] = jwt.sign(claims(), TEST_SECRET, { algorithm: 'HS256', expiresIn: 60, ...opts }).split('.');
        return `${h}.${b64({ ...claims(), role: 'admin', sub: '00000000-0000-0000-0000-000000000000', ...{ iss: opts.issuer, aud: opts.audience, exp: 9999999999 } })}.${s}`;
      }],
      ['signed with another secret', () => jwt.sign(claims(), 'another-secret-another-secret-0000000', { algorithm: 'HS256', expiresIn: 60, ...opts })],
      ['wrong algorithm (HS512)', () => jwt.sign(claims(), TEST_SECRET, { algorithm: 'HS512', expiresIn: 60, ...opts })],
      ['alg none', () => `${b64({ alg: 'none', typ: 'JWT' })}.${b64({ ...claims(), iss: opts.issuer, aud: opts.audience, exp: 9999999999 })}.`],
      ['alg none with a signature', () => {
        const h = b64({ alg: 'none', typ: 'JWT' });
        const p = b64({ ...claims(), iss: opts.issuer, aud: opts.audience, exp: 9999999999 });
        return `${h}.${p}.${createHmac('sha256', TEST_SECRET).update(`${h}.${p}`).digest('base64url')}`;
      }],
      ['wrong issuer', () => jwt.sign(claims(), TEST_SECRET, { algorithm: 'HS256', expiresIn: 60, issuer: 'evil', audience: opts.audience })],
      ['wrong audience', () => jwt.sign(claims(), TEST_SECRET, { algorithm: 'HS256', expiresIn: 60, issuer: opts.issuer, audience: 'other' })],
      ['not a JWT', () => 'abc.def.ghi'],
      ['without exp', () => jwt.sign(claims(), TEST_SECRET, { algorithm: 'HS256', ...opts })],
      ['issued in the future (iat)', () => jwt.sign({ ...claims(), iat: Math.floor(Date.now() / 1000) + 3600 }, TEST_SECRET, { algorithm: 'HS256', expiresIn: 7200, ...opts })],
      ['with a crit header', () => jwt.sign(claims(), TEST_SECRET, { algorithm: 'HS256', expiresIn: 60, ...opts, header: { alg: 'HS256', crit: ['exp'] } as never })],
      ['of typ JOSE', () => jwt.sign(claims(), TEST_SECRET, { algorithm: 'HS256', expiresIn: 60, ...opts, header: { alg: 'HS256', typ: 'JOSE' } })],
      ['of typ refresh+jwt', () => jwt.sign(claims(), TEST_SECRET, { algorithm: 'HS256', expiresIn: 60, ...opts, header: { alg: 'HS256', typ: 'refresh+jwt' } })],
    ];
    for (const [name, typ] of [['absent', undefined], ['JWT', 'JWT'], ['at+jwt', 'at+jwt'], ['application/at+JWT', 'application/at+JWT']] as const) {
      it(`when the token's typ is ${name}, then /me answers 200`, async () => {
        // Signed by hand: jsonwebtoken always writes a typ.
        const h = b64(typ === undefined ? { alg: 'HS256' } : { alg: 'HS256', typ });
        const p = b64({ ...claims(), iss: opts.issuer, aud: opts.audience, iat: Math.floor(Date.now() / 1000), exp: Math.floor(Date.now() / 1000) + 60 });
        const tok = `${h}.${p}.${createHmac('sha256', TEST_SECRET).update(`${h}.${p}`).digest('base64url')}`;
        expect(JSON.parse(Buffer.from(tok.split('.')[0]!, 'base64url').toString()).typ).toBe(typ);
        expect((await http.get('/api/auth/me', { token: tok })).status).toBe(200);
      });
    }
    for (const [name, make] of cases) {
      it(`when the token is ${name}, then 401`, async () => {
        const r = await http.get('/api/auth/me', { token: make() });
        expect(r.status).toBe(401);
        expect(r.body.error.code).toBe('invalid_token');
        expect(r.headers.get('www-authenticate')).toBe('Bearer');
      });
    }

    it('when a token that was accepted expires, then it is refused from then on (401)', async () => {
      const exp = Math.floor(Date.now() / 1000) + 2;
      const tok = jwt.sign({ ...claims(), exp }, TEST_SECRET, { algorithm: 'HS256', ...opts });
      expect((await http.get('/api/auth/me', { token: tok })).status).toBe(200);
      expect((await http.get('/api/auth/me', { token: tok })).status).toBe(200);
      await new Promise((r) => setTimeout(r, exp * 1000 - Date.now() + 50));
      const r = await http.get('/api/auth/me', { token: tok });
      expect(r.status).toBe(401);
      expect(r.body.error.code).toBe('invalid_token');
    });

    it('when no token is sent, then 401 unauthorized', async () => {
      const r = await http.get('/api/auth/me');
      expect(r.status).toBe(401);
      expect(r.body.error.code).toBe('unauthorized');
    });
  });

  it('when a user is soft-deleted, then they cannot log in, refresh, or use a token they hold', async () => {
    const org = await makeOrg(t.db);
    const admin = await makeUser(t.db, org.id, 'admin');
    const u = await makeUser(t.db, org.id, 'editor');
    const adminTok = (await http.post('/api/auth/login', { body: { email: admin.email, password: PASSWORD } })).body.accessToken;
    const s = (await http.post('/api/auth/login', { body: { email: u.email, password: PASSWORD } })).body;
    expect((await http.del(`/api/users/${u.id}`, { token: adminTok })).status).toBe(204);
    expect((await http.post('/api/auth/login', { body: { email: u.email, password: PASSWORD } })).status).toBe(401);
    expect((await http.post('/api/auth/refresh', { body: { refreshToken: s.refreshToken } })).status).toBe(401);
    expect((await http.get('/api/auth/me', { token: s.accessToken })).status).toBe(401);
  });

  it('when one email fails to log in too often, then 429 with Retry-After, while another email still may try', async () => {
    const org = await makeOrg(t.db);
    const u = await makeUser(t.db, org.id, 'viewer', { email: 'brute@x.test' });
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) {
      statuses.push((await http.post('/api/auth/login', { body: { email: 'brute@x.test', password: 'guess-guess-' + i } })).status);
    }
    expect(statuses.slice(0, 5)).toEqual([401, 401, 401, 401, 401]);
    const limited = await http.post('/api/auth/login', { body: { email: 'BRUTE@x.test', password: PASSWORD } });
    expect(limited.status).toBe(429);
    expect(limited.body.error.code).toBe('rate_limited');
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(u).toBeTruthy();
    const other = await makeUser(t.db, org.id, 'viewer');
    expect((await http.post('/api/auth/login', { body: { email: other.email, password: PASSWORD } })).status).toBe(200);
  });
});

describe('login rate limit per address', () => {
  it('when one address tries more than its limit across emails, then 429', async () => {
    const app = await startTestApp({ LOGIN_RATE_MAX_PER_IP: '3', LOGIN_RATE_MAX_PER_EMAIL: '100' });
    try {
      const h = client(app.url);
      const s: number[] = [];
      for (let i = 0; i < 4; i++) s.push((await h.post('/api/auth/login', { body: { email: `p${i}@x.test`, password: 'whatever-123' } })).status);
      expect(s).toEqual([401, 401, 401, 429]);
    } finally {
      await app.close();
    }
  });

  it('when two replicas share the database, then attempts on either count toward one limit, and the counters hold no address or email in clear', async () => {
    const a = await startTestApp({ LOGIN_RATE_MAX_PER_IP: '3', LOGIN_RATE_MAX_PER_EMAIL: '100' });
    const b = await startTestApp({ LOGIN_RATE_MAX_PER_IP: '3', LOGIN_RATE_MAX_PER_EMAIL: '100' }, { databaseUrl: a.config.DATABASE_URL });
    try {
      const s: number[] = [];
      for (const [i, app] of [a, b, a, b].entries()) s.push((await client(app.url).post('/api/auth/login', { body: { email: `r${i}@x.test`, password: 'whatever-123' } })).status);
      expect(s).toEqual([401, 401, 401, 429]);
      const rows = await a.db('rate_limits').select('key', 'hits');
      expect(rows.some((r) => /127\.0\.0\.1|@x\.test/.test(r.key))).toBe(false);
      // Failures only: the address 3 times, each email (alone and with the address) once; the refused
      // try is taken back (its email's counters stay at 0).
      expect(rows.map((r) => r.hits).sort()).toEqual([0, 0, 1, 1, 1, 1, 1, 1, 3]);
      // Once its window has ended, a counter starts again at 1, and pruning drops the ended ones.
      await a.db('rate_limits').update({ reset_at: a.db.raw(`now() - interval '1 second'`) });
      expect((await client(b.url).post('/api/auth/login', { body: { email: 'r9@x.test', password: 'whatever-123' } })).status).toBe(401);
      expect(await pruneRateLimits(a.db)).toBe(8);
      expect((await a.db('rate_limits').select('hits')).map((r) => r.hits)).toEqual([1, 1, 1]);
    } finally {
      await b.close();
      await a.close();
    }
  });
});

describe('login limits a stranger cannot turn against the owner', () => {
  // Addresses come from X-Forwarded-For (one trusted proxy), so one test can be many clients.
  let app: TestApp;
  let h: ReturnType<typeof client>;
  beforeAll(async () => {
    app = await startTestApp({
      TRUST_PROXY: '1',
      LOGIN_RATE_MAX_PER_EMAIL: '3',
      LOGIN_RATE_MAX_PER_IP: '5',
      LOGIN_SLOWDOWN_AFTER: '4',
      LOGIN_SLOWDOWN_BASE_MS: '400',
      LOGIN_SLOWDOWN_MAX_MS: '1000',
    });
    h = client(app.url);
  });
  afterAll(() => app.close());
  const login = async (from: string, email: string, password: string) => {
    const started = Date.now();
    const r = await h.post('/api/auth/login', { body: { email, password }, headers: { 'x-forwarded-for': from } });
    return { ...r, ms: Date.now() - started };
  };

  it('when a stranger fails past the limit for an email, then that pair gets 429 while the owner, from another address, signs in', async () => {
    const org = await makeOrg(app.db);
    const owner = await makeUser(app.db, org.id, 'viewer');
    const tries = [];
    for (let i = 0; i < 4; i++) tries.push(await login('10.0.0.1', owner.email, `guess-${i}-wrong`));
    expect(tries.map((r) => r.status)).toEqual([401, 401, 401, 429]);
    expect(tries[3]!.body.error.code).toBe('rate_limited');
    expect(Number(tries[3]!.headers.get('retry-after'))).toBeGreaterThan(0);
    // The stranger's pair stays refused, even with the right password; the owner's address is not.
    expect((await login('10.0.0.1', owner.email, PASSWORD)).status).toBe(429);
    expect((await login('10.0.0.2', owner.email, PASSWORD)).status).toBe(200);
    // A success does not count: the owner may keep signing in.
    expect((await login('10.0.0.2', owner.email, PASSWORD)).status).toBe(200);
  });

  it('when one address fails past its limit over many emails, then it gets 429 for any email, and other addresses do not', async () => {
    const org = await makeOrg(app.db);
    const u = await makeUser(app.db, org.id, 'viewer');
    const s: number[] = [];
    for (let i = 0; i < 6; i++) s.push((await login('10.0.0.3', `nobody-${i}@x.test`, 'wrong-password')).status);
    expect(s).toEqual([401, 401, 401, 401, 401, 429]);
    expect((await login('10.0.0.3', u.email, PASSWORD)).status).toBe(429);
    expect((await login('10.0.0.4', u.email, PASSWORD)).status).toBe(200);
  });

  it('when an email fails past the slowdown threshold from many addresses, then every further attempt waits longer (up to the max), the right password too, and is never refused', async () => {
    const org = await makeOrg(app.db);
    const owner = await makeUser(app.db, org.id, 'viewer');
    // 4 failures, each from its own address: no address or pair reaches its limit.
    for (let i = 0; i < 4; i++) expect((await login(`10.0.1.${i}`, owner.email, 'wrong-password')).status).toBe(401);
    const waits = [];
    for (let i = 4; i < 7; i++) {
      const r = await login(`10.0.1.${i}`, owner.email, 'wrong-password');
      expect(r.status).toBe(401);
      waits.push(r.ms);
    }
    // 400 ms, then 800 ms, then capped at 1000 ms (each on top of the password check).
    expect(waits[0]).toBeGreaterThanOrEqual(400);
    expect(waits[1]).toBeGreaterThanOrEqual(800);
    expect(waits[2]).toBeGreaterThanOrEqual(1000);
    const right = await login('10.0.2.1', owner.email, PASSWORD);
    expect(right.status).toBe(200);
    expect(right.ms).toBeGreaterThanOrEqual(1000);
    // Another email is not slowed.
    const other = await makeUser(app.db, org.id, 'viewer');
    expect((await login('10.0.2.1', other.email, PASSWORD)).status).toBe(200);
  });

  it('when parallel wrong guesses race for one pair, then no more than the limit get a password check', async () => {
    const org = await makeOrg(app.db);
    const owner = await makeUser(app.db, org.id, 'viewer');
    const r = await Promise.all(Array.from({ length: 12 }, (_, i) => login('10.0.3.1', owner.email, `parallel-${i}`)));
    const statuses = r.map((x) => x.status).sort();
    expect(statuses.filter((x) => x === 401)).toHaveLength(3);
    expect(statuses.filter((x) => x === 429)).toHaveLength(9);
  });
});
