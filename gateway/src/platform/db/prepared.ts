import type { Knex } from 'knex';
import type { QueryResult } from 'pg';

interface PooledClient {
  acquireConnection(): Promise<{ query(q: { name: string; text: string; values: readonly unknown[] }): Promise<QueryResult> }>;
  releaseConnection(connection: unknown): Promise<void>;
}

/** `?` placeholders → `$n`, once per statement (`\?` stays a literal `?`). */
function positional(name: string, sql: string): { sql: string; text: string; count: number } {
  let count = 0;
  const text = sql.replace(/\\\?|\?\?|\?/g, (m) => {
    if (m === '\\?') return '?';
    if (m === '??') throw new Error(`prepared statement ${name}: identifier bindings (??) are not supported`);
    return `$${++count}`;
  });
  return { sql, text, count };
}

const statements = new Map<string, { sql: string; text: string; count: number }>();

/**
 * A statement run as a named prepared statement: PostgreSQL parses and plans it once per connection
 * instead of on every call. For the hot paths, whose CTEs cost about as much to plan as to run.
 * The name must be unique to this SQL text.
 *
 * It runs on a connection of knex's pool (or the transaction's own, when `db` is one), but not
 * through knex's query runner: these statements are already SQL, and the runner's rewriting of the
 * text on every call cost as much JS time as the rest of a send's request.
 */
export async function prepared(db: Knex, name: string, sql: string, bindings: readonly unknown[] = []): Promise<QueryResult> {
  let s = statements.get(name);
  if (s?.sql !== sql) statements.set(name, (s = positional(name, sql)));
  if (bindings.length !== s.count) throw new Error(`prepared statement ${name}: expected ${s.count} bindings, got ${bindings.length}`);
  if (bindings.includes(undefined)) throw new Error(`prepared statement ${name}: undefined binding at $${bindings.indexOf(undefined) + 1}`);
  const client = db.client as unknown as PooledClient;
  const connection = await client.acquireConnection();
  try {
    return await connection.query({ name, text: s.text, values: bindings });
  } finally {
    await client.releaseConnection(connection);
  }
}
