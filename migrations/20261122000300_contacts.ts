import type { Knex } from 'knex';

/**
 * CRM contacts, tags, favorites, and the phone number that joins WhatsApp contacts to CRM contacts.
 *
 * Matching is a join on E.164 numbers, both sides indexed: `contacts (org_id, phone_e164)` and
 * `wa_contacts (org_id, match_key, device_id)`. Nothing about a pair is stored, so a change on either
 * side shows in the next query without any recompute. `wa_contacts.phone_e164` is kept filled by
 * triggers: from the JID for `<digits>@s.whatsapp.net`, from `lid_map` for `<id>@lid` (also when the
 * mapping arrives after the contact). `match_key` is the number, or the JID while a LID has no
 * number yet, and null for groups, broadcasts and newsletters (they are nobody's contact).
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('contacts', (t) => {
    t.uuid('id').primary().defaultTo(knex.raw('gen_random_uuid()'));
    t.uuid('org_id').notNullable().references('orgs.id').onDelete('CASCADE');
    t.text('name').notNullable();
    t.text('phone_e164').notNullable();
    t.text('email');
    t.text('company');
    t.text('notes');
    t.uuid('created_by').references('users.id').onDelete('SET NULL');
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('deleted_at', { useTz: true });
  });
  // Numbers compare byte-wise: cheap, locale-independent, and the same order as wa_contacts.match_key,
  // so the merge is an ordered merge join of the two indexes.
  await knex.raw(`ALTER TABLE contacts ALTER COLUMN phone_e164 TYPE text COLLATE "C"`);
  // One live contact per number and organization; also the index the merge joins on.
  await knex.raw(`CREATE UNIQUE INDEX contacts_org_phone_uq ON contacts (org_id, phone_e164) WHERE deleted_at IS NULL`);
  // The list order (name, id) for keyset pages.
  await knex.raw(`CREATE INDEX contacts_org_name_idx ON contacts (org_id, lower(name), id) WHERE deleted_at IS NULL`);

  await knex.schema.createTable('tags', (t) => {
    t.uuid('id').primary().defaultTo(knex.raw('gen_random_uuid()'));
    t.uuid('org_id').notNullable().references('orgs.id').onDelete('CASCADE');
    t.text('name').notNullable();
    t.text('color').notNullable().defaultTo('#607d8b');
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
  });
  await knex.raw(`CREATE UNIQUE INDEX tags_org_name_uq ON tags (org_id, lower(name))`);

  await knex.schema.createTable('contact_tags', (t) => {
    t.uuid('contact_id').notNullable().references('contacts.id').onDelete('CASCADE');
    t.uuid('tag_id').notNullable().references('tags.id').onDelete('CASCADE');
    t.primary(['contact_id', 'tag_id']);
    t.index(['tag_id', 'contact_id']);
  });

  await knex.schema.createTable('favorites', (t) => {
    t.uuid('user_id').notNullable().references('users.id').onDelete('CASCADE');
    t.uuid('org_id').notNullable().references('orgs.id').onDelete('CASCADE');
    t.text('target_type').notNullable(); // contact | chat
    t.text('target_id').notNullable(); // contacts.id (uuid) or chats.id (bigint), as text
    t.integer('position').notNullable();
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.primary(['user_id', 'target_type', 'target_id']);
    t.index(['user_id', 'position']);
  });
  await knex.raw(`ALTER TABLE favorites ADD CONSTRAINT favorites_target_type_check CHECK (target_type IN ('contact','chat'))`);

  // '+<digits>' for a person JID (device suffix ':n' dropped), null for anything else.
  await knex.raw(`
    CREATE FUNCTION wa_jid_phone(jid text) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
      SELECT CASE WHEN u ~ '^[0-9]{6,15}$' THEN '+' || u END
      FROM (SELECT split_part(split_part(jid, '@', 1), ':', 1) AS u) x
      WHERE jid LIKE '%@s.whatsapp.net'
    $$`);

  await knex.raw(`ALTER TABLE wa_contacts ADD COLUMN match_key text COLLATE "C"`);
  // The engine ingest writes wa_contacts without a number; derive it on every write.
  await knex.raw(`
    CREATE FUNCTION wa_contacts_fill_phone() RETURNS trigger LANGUAGE plpgsql AS $$
    DECLARE mapped text;
    BEGIN
      IF NEW.jid LIKE '%@s.whatsapp.net' THEN
        NEW.phone_e164 := wa_jid_phone(NEW.jid);
      ELSIF NEW.jid LIKE '%@lid' THEN
        SELECT wa_jid_phone(l.phone_jid) INTO mapped FROM lid_map l WHERE l.device_id = NEW.device_id AND l.lid = NEW.jid;
        IF mapped IS NOT NULL THEN NEW.phone_e164 := mapped; END IF;
      ELSE
        NEW.phone_e164 := NULL; -- groups, broadcasts, newsletters have no person behind them
      END IF;
      NEW.match_key := CASE WHEN NEW.jid LIKE '%@s.whatsapp.net' OR NEW.jid LIKE '%@lid' THEN coalesce(NEW.phone_e164, NEW.jid) END;
      RETURN NEW;
    END $$`);
  await knex.raw(`CREATE TRIGGER wa_contacts_fill_phone BEFORE INSERT OR UPDATE ON wa_contacts FOR EACH ROW EXECUTE FUNCTION wa_contacts_fill_phone()`);

  // A LID mapping that arrives (or changes) after the contact resolves that contact at once.
  await knex.raw(`
    CREATE FUNCTION lid_map_resolve_contacts() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      UPDATE wa_contacts SET phone_e164 = wa_jid_phone(NEW.phone_jid)
       WHERE device_id = NEW.device_id AND jid = NEW.lid
         AND phone_e164 IS DISTINCT FROM wa_jid_phone(NEW.phone_jid);
      RETURN NULL;
    END $$`);
  await knex.raw(`CREATE TRIGGER lid_map_resolve_contacts AFTER INSERT OR UPDATE ON lid_map FOR EACH ROW EXECUTE FUNCTION lid_map_resolve_contacts()`);

  // The merge key in order with the device, so counts and pages are index-only merge joins.
  await knex.raw(`CREATE INDEX wa_contacts_match_idx ON wa_contacts (org_id, match_key, device_id) WHERE match_key IS NOT NULL`);
  // Chats with one person: by device and JID (unique index exists); messages by chat and time (exists).
  // lid_map looked up from the phone side (the card finds a person's LID chats).
  await knex.raw(`CREATE INDEX lid_map_phone_idx ON lid_map (device_id, phone_jid)`);

  // Rows written before this migration.
  await knex.raw(`UPDATE wa_contacts SET jid = jid`);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(`DROP INDEX IF EXISTS lid_map_phone_idx`);
  await knex.raw(`DROP INDEX IF EXISTS wa_contacts_match_idx`);
  await knex.raw(`DROP TRIGGER IF EXISTS lid_map_resolve_contacts ON lid_map`);
  await knex.raw(`DROP FUNCTION IF EXISTS lid_map_resolve_contacts()`);
  await knex.raw(`DROP TRIGGER IF EXISTS wa_contacts_fill_phone ON wa_contacts`);
  await knex.raw(`DROP FUNCTION IF EXISTS wa_contacts_fill_phone()`);
  await knex.raw(`ALTER TABLE wa_contacts DROP COLUMN IF EXISTS match_key`);
  await knex.raw(`DROP FUNCTION IF EXISTS wa_jid_phone(text)`);
  for (const t of ['favorites', 'contact_tags', 'tags', 'contacts']) await knex.schema.dropTableIfExists(t);
}
