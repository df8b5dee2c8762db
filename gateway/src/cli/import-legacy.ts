import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { loadConfig } from '../config/config.js';
import { createLogger } from '../platform/logger.js';
import { openDatabase } from '../platform/db/database.js';
import { isRegion } from '../platform/phone.js';
import { ROLES, type Role } from '../platform/http/auth-context.js';
import { resolveMapping } from '../features/legacy-import/legacy-import.mapping.js';
import { importLegacy, type LegacyImportReport } from '../features/legacy-import/legacy-import.service.js';

/**
 * `npm run import:legacy -- --mysql-url=mysql://user:pass@host:3306/data_feeds (--org-id=<uuid> | --org-name=<name>)
 *     [--device-id=<uuid>] [--mapping=mapping.json] [--region=DE] [--default-role=viewer] [--json]`
 * Reads the legacy data_feeds tables into the gateway's database (DATABASE_URL, or the embedded one). See docs/legacy-import.md.
 */
const usage = 'usage: npm run import:legacy -- --mysql-url=mysql://user:pass@host:3306/data_feeds (--org-id=<uuid> | --org-name=<name>) [--device-id=<uuid>] [--mapping=file.json] [--region=US] [--default-role=viewer] [--json]';

let args;
try {
  args = parseArgs({
    options: {
      'mysql-url': { type: 'string' },
      'org-id': { type: 'string' },
      'org-name': { type: 'string' },
      'device-id': { type: 'string' },
      mapping: { type: 'string' },
      region: { type: 'string' },
      'default-role': { type: 'string', default: 'viewer' },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  }).values;
} catch (e) {
  console.error(`${(e as Error).message}\n${usage}`);
  process.exit(2);
}
const fail = (msg: string): never => {
  console.error(`${msg}\n${usage}`);
  process.exit(2);
};
if (args.help) {
  console.log(usage);
  process.exit(0);
}
const mysqlUrl = args['mysql-url'] ?? fail('--mysql-url is required');
if (!args['org-id'] && !args['org-name']) fail('--org-id or --org-name is required (the organization that receives the data; --org-name creates it when missing)');
const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
if (args['org-id'] && !uuid.test(args['org-id'])) fail('--org-id must be a uuid');
if (args['device-id'] && !uuid.test(args['device-id'])) fail('--device-id must be a uuid');
const defaultRole = args['default-role'] as Role;
if (!ROLES.includes(defaultRole)) fail(`--default-role must be one of ${ROLES.join(', ')}`);

let mapping;
try {
  mapping = resolveMapping(args.mapping ? JSON.parse(readFileSync(args.mapping, 'utf8')) : undefined);
} catch (e) {
  fail(`--mapping: ${(e as Error).message}`);
}

const config = loadConfig();
const region = (args.region ?? config.PHONE_DEFAULT_REGION).toUpperCase();
if (!isRegion(region)) fail(`--region ${region} is not a region code`);
const database = await openDatabase(config, createLogger(config.LOG_LEVEL));
let report: LegacyImportReport;
try {
  report = await importLegacy(database.db, {
    mysqlUrl,
    orgId: args['org-id'],
    orgName: args['org-name'],
    deviceId: args['device-id'],
    mapping: mapping!,
    region: region as never,
    defaultRole,
  });
} catch (e) {
  console.error(`legacy import failed, nothing was written: ${(e as Error).message}`);
  await database.close();
  process.exit(1);
}
await database.close();

if (args.json) console.log(JSON.stringify(report));
else {
  console.log(`organization ${report.orgId}${report.orgCreated ? ' (created)' : ''}${report.deviceId ? `, WhatsApp contacts on device ${report.deviceId}` : ''}`);
  console.log(`${'table'.padEnd(18)}${['read', 'inserted', 'updated', 'unchanged', 'skipped'].map((h) => h.padStart(10)).join('')}`);
  for (const k of ['users', 'tags', 'contacts', 'whatsapp'] as const) {
    const c = report[k];
    console.log(`${k.padEnd(18)}${[c.read, c.inserted, c.updated, c.unchanged, c.skipped].map((n) => String(n).padStart(10)).join('')}`);
  }
  console.log(`contact tags added: ${report.contactTags}`);
  for (const n of report.notes) console.log(`note: ${n}`);
}
