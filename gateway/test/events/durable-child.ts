/**
 * A gateway process reduced to one durable consumer, for durable.test.ts to kill and restart.
 * It records each `contact.updated` it handles (in the consumer's transaction, with its pid); with
 * HANG_AT=n it hangs forever inside its n-th handler, after writing its row but before the commit.
 */
import { pino } from 'pino';
import { createDb } from '../../src/platform/db/knex.js';
import { EventBus } from '../../src/platform/events/event-bus.js';
import { DurableConsumers } from '../../src/platform/events/durable-consumers.js';

const db = createDb(process.env.DATABASE_URL!, { min: 0, max: 2 });
const logger = pino({ level: 'silent' });
const bus = new EventBus(logger);
const hangAt = Number(process.env.HANG_AT ?? 0);
let handled = 0;
bus.consume('test.recorder', ['contact.updated'], async (e, trx) => {
  await trx('durable_test_seen').insert({ contact_id: e.data.contactId, pid: process.pid });
  if (++handled === hangAt) {
    process.stdout.write('HANGING\n');
    await new Promise(() => undefined);
  }
});
const consumers = new DurableConsumers(db, bus, { pollMs: 30 }, logger);
consumers.start();
process.stdout.write('STARTED\n');
