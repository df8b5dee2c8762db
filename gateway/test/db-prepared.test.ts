import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase } from './support/test-db.js';
import { createDb } from '../src/platform/db/knex.js';
import { prepared, preparedQuery } from '../src/platform/db/prepared.js';

let database: Awaited<ReturnType<typeof createTestDatabase>>;
let db: ReturnType<typeof createDb>;

beforeAll(async () => {
  database = await createTestDatabase();
  db = createDb(database.url, { min: 0, max: 2 });
});
afterAll(async () => {
  await db.destroy();
  await database.drop();
});

describe('prepared statements', () => {
  it('when run, then ? become $n in order, \\? stays a literal ?, and values arrive typed', async () => {
    const sql = `SELECT ?::int + ?::int AS sum, ?::jsonb \\? 'k' AS has_k, ?::timestamptz AS at`;
    const at = new Date('2026-01-02T03:04:05.678Z');
    const { rows } = await prepared(db, 'test_prepared_sum', sql, [2, 40, JSON.stringify({ k: 1 }), at]);
    expect(rows[0]).toEqual({ sum: 42, has_k: true, at });
    const again = await prepared(db, 'test_prepared_sum', sql, [1, 1, '{}', at]);
    expect(again.rows[0]).toMatchObject({ sum: 2, has_k: false });
  });

  it('when the bindings do not match the placeholders, or one is undefined, then it throws before running', async () => {
    await expect(prepared(db, 'test_prepared_count', 'SELECT ?::int AS a', [])).rejects.toThrow(/expected 1 bindings, got 0/);
    await expect(prepared(db, 'test_prepared_undef', 'SELECT ?::int AS a', [undefined])).rejects.toThrow(/undefined binding at \$1/);
    await expect(prepared(db, 'test_prepared_ident', 'SELECT ?? FROM x', ['a'])).rejects.toThrow(/identifier bindings/);
  });

  it('when run inside a transaction, then it uses the transaction (a rollback undoes it)', async () => {
    await db.raw('CREATE TABLE prepared_probe (v int)');
    await db
      .transaction(async (trx) => {
        await prepared(trx, 'test_prepared_insert', 'INSERT INTO prepared_probe (v) VALUES (?)', [7]);
        const { rows } = await prepared(trx, 'test_prepared_count_rows', 'SELECT count(*)::int AS n FROM prepared_probe');
        expect(rows[0].n).toBe(1);
        throw new Error('roll back');
      })
      .catch((e: Error) => expect(e.message).toBe('roll back'));
    const { rows } = await prepared(db, 'test_prepared_count_rows', 'SELECT count(*)::int AS n FROM prepared_probe');
    expect(rows[0].n).toBe(0);
  });

  it('when a knex query is run prepared, then it is named after its text: same text, one statement; other values, right rows', async () => {
    await db.raw('CREATE TABLE prepared_knex_probe (id int, tag text)');
    await db('prepared_knex_probe').insert([{ id: 1, tag: 'a' }, { id: 2, tag: 'b' }, { id: 3, tag: 'a' }]);
    await db.transaction(async (trx) => {
      // One connection throughout, so its prepared statements can be listed.
      const byTags = (tags: string[]) => preparedQuery(trx, trx('prepared_knex_probe').whereRaw('tag = ANY(?::text[])', [tags]).orderBy('id').select('id'));
      expect((await byTags(['a'])).rows.map((r) => r.id)).toEqual([1, 3]);
      expect((await byTags(['a', 'b'])).rows.map((r) => r.id)).toEqual([1, 2, 3]);
      const first = await preparedQuery(trx, trx('prepared_knex_probe').where({ id: 2 }).first('tag'));
      expect(first.rows).toEqual([{ tag: 'b' }]);
      const raw = await preparedQuery(trx, trx.raw('SELECT count(*)::int AS n FROM prepared_knex_probe WHERE id > ?', [1]));
      expect(raw.rows[0].n).toBe(2);
      const { rows } = await trx.raw(`SELECT statement FROM pg_prepared_statements WHERE name LIKE 'knex\\_%' ORDER BY prepare_time`);
      expect(rows.length).toBe(3); // the two array lengths share one statement
      expect(rows[0].statement).toContain('= ANY($1::text[])');
    });
  });
});
