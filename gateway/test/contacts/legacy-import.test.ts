import { spawn } from 'node:child_process';
import { writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import mysql from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/test-app.js';
import { makeOrg, makeUser } from '../support/factories.js';
import { makeDevice } from './factories.js';
import { mariadbAvailable, startMariaDb, type MariaDb } from './mariadb.js';

const repo = fileURLToPath(new URL('../../..', import.meta.url));

/** The legacy schema as assumed in docs/legacy-import.md. */
const LEGACY = `
CREATE TABLE user_ref (id INT PRIMARY KEY, email VARCHAR(200), name VARCHAR(200), role VARCHAR(20));
CREATE TABLE tag_ref (id INT PRIMARY KEY, name VARCHAR(100), color VARCHAR(10));
CREATE TABLE contact_ref (id INT PRIMARY KEY, name VARCHAR(200), phone VARCHAR(50), email VARCHAR(200), company VARCHAR(200), notes TEXT, tag_id INT NULL, user_id INT NULL);
CREATE TABLE contact_whatsapp (id INT PRIMARY KEY, jid VARCHAR(100) NULL, phone VARCHAR(50) NULL, push_name VARCHAR(200), full_name VARCHAR(200), business_name VARCHAR(200));
INSERT INTO user_ref VALUES (1, 'Olga@Legacy.test', 'Olga Old', 'admin'), (2, 'pete@legacy.test', 'Pete', 'agent'), (3, NULL, 'No Mail', 'viewer');
INSERT INTO tag_ref VALUES (10, 'Customer', '#00FF00'), (11, 'Supplier', NULL), (12, 'customer', '#0000ff');
INSERT INTO contact_ref VALUES
  (100, 'Müller GmbH', '+49 30 1234567', 'info@mueller.test', 'Müller', 'since 2019', 10, 1),
  (101, 'Jane Roe', '(202) 555-0170', NULL, NULL, NULL, 11, 2),
  (102, 'Broken', 'n/a', NULL, NULL, NULL, NULL, NULL),
  (103, 'No Tag', '0044 20 7946 0958', 'x@uk.test', NULL, NULL, NULL, 1);
INSERT INTO contact_whatsapp VALUES
  (1, '49301234567@c.us', NULL, 'mueller', NULL, 'Müller GmbH'),
  (2, NULL, '+1 202 555 0170', 'jane', 'Jane R.', NULL),
  (3, NULL, 'garbage', 'x', NULL, NULL);
`;

let t: TestApp;
let db: MariaDb | undefined;

beforeAll(async () => {
  t = await startTestApp();
  if (!mariadbAvailable) return;
  db = await startMariaDb();
  const c = await mysql.createConnection({ uri: db.url, multipleStatements: true });
  await c.query(LEGACY);
  await c.end();
}, 120_000);
afterAll(async () => {
  await db?.stop();
  await t.close();
});

function runImport(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--conditions=source', '--import', 'tsx', 'gateway/src/cli/import-legacy.ts', ...args], {
      cwd: repo,
      env: { PATH: process.env.PATH, DATABASE_URL: t.config.DATABASE_URL!, JWT_SECRET: 'x'.repeat(40), LOG_LEVEL: 'silent', PHONE_DEFAULT_REGION: 'US' },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

const tableCounts = async (orgId: string) => ({
  users: Number((await t.db('users').where({ org_id: orgId }).count('* as n').first())!.n),
  tags: Number((await t.db('tags').where({ org_id: orgId }).count('* as n').first())!.n),
  contacts: Number((await t.db('contacts').where({ org_id: orgId }).count('* as n').first())!.n),
  contactTags: Number((await t.db('contact_tags as ct').join('contacts as c', 'c.id', 'ct.contact_id').where('c.org_id', orgId).count('* as n').first())!.n),
  wa: Number((await t.db('wa_contacts').where({ org_id: orgId }).count('* as n').first())!.n),
});

describe.skipIf(!mariadbAvailable)('npm run import:legacy (against a real MariaDB)', () => {
  it('when the legacy data_feeds tables are imported twice, then the second run finds everything unchanged and nothing is duplicated', async () => {
    const org = await makeOrg(t.db, 'Legacy Co');
    const owner = await makeUser(t.db, org.id, 'admin');
    const device = await makeDevice(t.db, org.id, owner.id);
    const args = [`--mysql-url=${db!.url}`, `--org-id=${org.id}`, `--device-id=${device.id}`, '--json'];

    const first = await runImport(args);
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    const r1 = JSON.parse(first.stdout);
    expect(r1.users).toEqual({ read: 3, inserted: 2, updated: 0, unchanged: 0, skipped: 1 });
    expect(r1.tags).toEqual({ read: 3, inserted: 2, updated: 0, unchanged: 0, skipped: 1 }); // "customer" is "Customer" again: merged, its color wins
    expect(r1.contacts).toEqual({ read: 4, inserted: 3, updated: 0, unchanged: 0, skipped: 1 });
    expect(r1.whatsapp).toEqual({ read: 3, inserted: 2, updated: 0, unchanged: 0, skipped: 1 });
    expect(r1.contactTags).toBe(2);
    const after1 = await tableCounts(org.id);
    expect(after1).toEqual({ users: 3, tags: 2, contacts: 3, contactTags: 2, wa: 2 });
    // Browsers and durable consumers hear of the imported contacts: one bulk contact.updated naming them.
    const announced = async () => (await t.db('events').where({ org_id: org.id, type: 'contact.updated' }).orderBy('id')).map((e) => e.data);
    const contactIds = (await t.db('contacts').where({ org_id: org.id }).select('id')).map((c) => c.id).sort();
    const logged1 = await announced();
    expect(logged1).toEqual([{ bulk: true, count: 3, ids: expect.any(Array) }]);
    expect([...logged1[0].ids].sort()).toEqual(contactIds);

    const second = await runImport(args);
    expect(second.code).toBe(0);
    const r2 = JSON.parse(second.stdout);
    expect(r2.users).toEqual({ read: 3, inserted: 0, updated: 0, unchanged: 2, skipped: 1 });
    expect(r2.tags).toEqual({ read: 3, inserted: 0, updated: 0, unchanged: 2, skipped: 1 });
    expect(r2.contacts).toEqual({ read: 4, inserted: 0, updated: 0, unchanged: 3, skipped: 1 });
    expect(r2.whatsapp).toEqual({ read: 3, inserted: 0, updated: 0, unchanged: 2, skipped: 1 });
    expect(r2.contactTags).toBe(0);
    expect(await tableCounts(org.id)).toEqual(after1);
    expect(await announced()).toEqual(logged1); // nothing changed, nothing announced

    // What landed where.
    const olga = await t.db('users').where({ email: 'olga@legacy.test' }).first();
    expect(olga).toMatchObject({ org_id: org.id, role: 'admin', name: 'Olga Old', password_hash: null });
    expect((await t.db('users').where({ email: 'pete@legacy.test' }).first()).role).toBe('editor');
    const mueller = await t.db('contacts').where({ org_id: org.id, phone_e164: '+49301234567' }).first();
    expect(mueller).toMatchObject({ name: 'Müller GmbH', email: 'info@mueller.test', company: 'Müller', notes: 'since 2019', created_by: olga.id });
    const tags = await t.db('contact_tags as ct').join('tags as t', 't.id', 'ct.tag_id').where('ct.contact_id', mueller.id).select('t.name', 't.color');
    expect(tags).toEqual([{ name: 'Customer', color: '#0000ff' }]);
    expect((await t.db('contacts').where({ org_id: org.id, phone_e164: '+12025550170' }).first()).name).toBe('Jane Roe');
    const wa = await t.db('wa_contacts').where({ device_id: device.id }).orderBy('jid').select('jid', 'phone_e164', 'push_name', 'full_name', 'business_name');
    expect(wa).toEqual([
      { jid: '12025550170@s.whatsapp.net', phone_e164: '+12025550170', push_name: 'jane', full_name: 'Jane R.', business_name: null },
      { jid: '49301234567@s.whatsapp.net', phone_e164: '+49301234567', push_name: 'mueller', full_name: null, business_name: 'Müller GmbH' },
    ]);
  });

  it('when no device is given and the organization is named, then it is created once and WhatsApp contacts are skipped with a count', async () => {
    const args = [`--mysql-url=${db!.url}`, '--org-name=Imported Legacy Org'];
    const first = await runImport(args);
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(/organization [0-9a-f-]+ \(created\)/);
    expect(first.stdout).toMatch(/whatsapp\s+3\s+0\s+0\s+0\s+3/);
    expect(first.stdout).toMatch(/3 WhatsApp contact\(s\) skipped: no --device-id/);
    // The users exist in "Legacy Co" already (emails are unique across the gateway): skipped, reported.
    expect(first.stdout).toMatch(/olga@legacy.test belongs to another organization/);
    const second = await runImport(args);
    expect(second.stdout).not.toMatch(/\(created\)/);
    expect(await t.db('orgs').where({ name: 'Imported Legacy Org' }).count('* as n').first()).toEqual({ n: 1 });
  });

  it('when a mapping file renames tables and columns, then they are read from there; a missing required column fails with its name and writes nothing', async () => {
    const c = await mysql.createConnection({ uri: db!.url, multipleStatements: true });
    await c.query(`CREATE TABLE crm_people (pk INT PRIMARY KEY, label VARCHAR(100), mobile_no VARCHAR(50));
                   INSERT INTO crm_people VALUES (1, 'Mapped Person', '+1 202 555 0188');`);
    await c.end();
    const dir = mkdtempSync(path.join(tmpdir(), 'legacy-map-'));
    const file = path.join(dir, 'mapping.json');
    writeFileSync(file, JSON.stringify({ contacts: { table: 'crm_people', columns: { id: 'pk', name: 'label', phone: 'mobile_no', email: null, tagId: null } } }));
    const org = await makeOrg(t.db);
    const r = await runImport([`--mysql-url=${db!.url}`, `--org-id=${org.id}`, `--mapping=${file}`, '--json']);
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout);
    expect(report.contacts).toMatchObject({ read: 1, inserted: 1 });
    expect((await t.db('contacts').where({ org_id: org.id }).first()).name).toBe('Mapped Person');

    writeFileSync(file, JSON.stringify({ contacts: { table: 'crm_people', columns: { phone: 'no_such_column' } } }));
    const org2 = await makeOrg(t.db);
    const bad = await runImport([`--mysql-url=${db!.url}`, `--org-id=${org2.id}`, `--mapping=${file}`]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/no column for contacts.phone/);
    expect(await t.db('users').where({ org_id: org2.id }).count('* as n').first()).toEqual({ n: 0 });
    rmSync(dir, { recursive: true, force: true });
  });
});

it.skipIf(mariadbAvailable)('legacy import against MariaDB is skipped: mariadbd is not installed (apt-get install mariadb-server)', () => {});
