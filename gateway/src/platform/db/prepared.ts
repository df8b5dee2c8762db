import type { Knex } from 'knex';
import type { QueryResult } from 'pg';

interface PooledClient {
  acquireConnection(): Promise<{ query(q: { name?: string; text: string; values: readonly unknown[] }): Promise<QueryResult> }>;
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
  return run(db, name, s.text, bindings);
}

/** Statement names of knex-built queries, by their SQL text. */
const knexStatements = new Map<string, string>();
/** Past this many distinct texts, further ones run unprepared (each named statement lives on every connection). */
const MAX_KNEX_STATEMENTS = 200;

/**
 * A query built with knex, run as a prepared statement named after its SQL text. For the reads a
 * person waits on (a chat list, a conversation page, the access check before them): their text
 * takes a few shapes, and planning them cost PostgreSQL more than running them. The text must not
 * vary with the values: a list goes in as one array binding (`= ANY(?)`), never as `whereIn(array)`.
 */
export async function preparedQuery(db: Knex, query: Knex.QueryBuilder | Knex.Raw): Promise<QueryResult> {
  const { sql, bindings } = query.toSQL().toNative();
  let name = knexStatements.get(sql);
  if (name === undefined && knexStatements.size < MAX_KNEX_STATEMENTS) knexStatements.set(sql, (name = `knex_${knexStatements.size + 1}`));
  return run(db, name, sql, bindings);
}

/** On a connection of knex's pool, or on the transaction's own when `db` is one. */
async function run(db: Knex, name: string | undefined, text: string, values: readonly unknown[]): Promise<QueryResult> {
  const client = db.client as unknown as PooledClient;
  const connection = await client.acquireConnection();
  try {
    return await connection.query(name === undefined ? { text, values } : { name, text, values });
  } finally {
    await client.releaseConnection(connection);
  }
}
