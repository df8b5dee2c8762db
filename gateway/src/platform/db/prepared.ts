import type { Knex } from 'knex';

/**
 * A statement run as a named prepared statement: PostgreSQL parses and plans it once per connection
 * instead of on every call. For the hot paths, whose CTEs cost about as much to plan as to run.
 * The name must be unique to this SQL text.
 */
export function prepared(db: Knex, name: string, sql: string, bindings: readonly unknown[] = []) {
  return db.raw(sql, bindings as Knex.RawBinding[]).options({ name });
}
