import { describe, expect, it } from 'vitest';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadConfig, ConfigError } from '../src/config/config.js';

const base = { JWT_SECRET: 'x'.repeat(40) };

describe('config', () => {
  it('when nothing is set outside production, then defaults apply and a dev secret is generated and kept', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'cfg-'));
    const a = loadConfig({ DATA_DIR: dir });
    expect(a.PORT).toBe(8080);
    expect(a.PUBLIC_URL).toBe('http://localhost:8080');
    expect(a.demo).toBe(true);
    expect(Buffer.byteLength(a.JWT_SECRET)).toBeGreaterThanOrEqual(32);
    expect(loadConfig({ DATA_DIR: dir }).JWT_SECRET).toBe(a.JWT_SECRET);
  });

  const bad: [string, Record<string, string>, RegExp][] = [
    ['a port that is not a number', { PORT: 'eighty' }, /PORT/],
    ['an unknown NODE_ENV', { NODE_ENV: 'staging' }, /NODE_ENV/],
    ['a DATABASE_URL that is not a URL', { DATABASE_URL: 'not a url' }, /DATABASE_URL/],
    ['a bcrypt cost below 12', { BCRYPT_COST: '8' }, /BCRYPT_COST/],
    ['a body limit without unit', { BODY_LIMIT: 'lots' }, /BODY_LIMIT/],
    ['a boolean that is not one', { DEMO_MODE: 'maybe' }, /DEMO_MODE/],
    ['production without JWT_SECRET', { NODE_ENV: 'production', JWT_SECRET: '' }, /JWT_SECRET: required/],
    ['production with a short JWT_SECRET', { NODE_ENV: 'production', JWT_SECRET: 'short-secret' }, /JWT_SECRET: must be at least 32 bytes/],
    ['a JWKS URL without issuer, audience and org', { AUTH_JWKS_URL: 'http://127.0.0.1:1/jwks.json' }, /AUTH_JWKS_URL/],
  ];
  for (const [name, env, msg] of bad) {
    it(`when given ${name}, then loading fails naming the variable`, () => {
      expect(() => loadConfig({ ...base, ...env })).toThrow(ConfigError);
      expect(() => loadConfig({ ...base, ...env })).toThrow(msg);
    });
  }

  it('when in production, then demo mode is off whatever DEMO_MODE says', () => {
    expect(loadConfig({ ...base, NODE_ENV: 'production', DEMO_MODE: 'true', WAHA_URL: 'http://waha:3000' }).demo).toBe(false);
  });

  it('when in production without an engine URL, then loading fails naming WAHA_URL', () => {
    expect(() => loadConfig({ ...base, NODE_ENV: 'production' })).toThrow(/WAHA_URL/);
    expect(loadConfig({ ...base }).simulator).toBe(true);
    expect(loadConfig({ ...base, WUZAPI_URL: 'http://wuzapi:8080' }).simulator).toBe(false);
  });

  it('when CORS_ORIGINS lists origins, then they are split and trimmed', () => {
    expect(loadConfig({ ...base, CORS_ORIGINS: 'https://a.test, https://b.test ,' }).corsOrigins).toEqual(['https://a.test', 'https://b.test']);
  });
});

describe('.env.example', () => {
  it('when compared with the config schema, then it lists every variable and nothing else', async () => {
    const { readFileSync } = await import('node:fs');
    const { configSchema } = await import('../src/config/config.schema.js');
    const text = readFileSync(new URL('../../.env.example', import.meta.url), 'utf8');
    const listed = [...text.matchAll(/^([A-Z][A-Z0-9_]+)=/gm)].map((m) => m[1]).sort();
    expect(listed).toEqual(Object.keys(configSchema.shape).sort());
  });
});
