/**
 * A presenter as SQL, for events a statement writes itself: `jsonb_build_object` over a row alias,
 * with the schema's keys in the schema's order and each key's expression given; the text is built
 * once per alias (the ingest's hot statement asks for it on every batch).
 */
export function jsonbPresenter<K extends string>(keys: readonly K[], expr: { [P in K]: (alias: string) => string }): (alias: string) => string {
  const byAlias = new Map<string, string>();
  return (alias) => {
    let sql = byAlias.get(alias);
    if (sql === undefined) {
      sql = `jsonb_build_object(\n  ${keys.map((k) => `'${k}', ${expr[k](alias)}`).join(',\n  ')})`;
      byAlias.set(alias, sql);
    }
    return sql;
  };
}
