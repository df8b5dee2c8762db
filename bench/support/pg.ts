import pg from 'pg';

/** A direct connection to the benchmarked gateway's database, for setup and counting. */
export async function pgClient(url: string) {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  return {
    async first(sql: string, args: unknown[] = []) {
      return (await c.query(sql, args)).rows[0];
    },
    end: () => c.end(),
  };
}
