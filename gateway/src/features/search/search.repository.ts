import type { Knex } from 'knex';
import { visibleMessage, type Viewer } from '../access/access.queries.js';
import { MESSAGE_COLUMNS } from '../messages/messages.presenter.js';
import type { MessageRow } from '../messages/messages.presenter.js';

/** How a query is read: web-search syntax over unaccented, lower-cased words (as messages.search is built). */
const QUERY = `websearch_to_tsquery('simple', immutable_unaccent(?))`;

/** Matches are marked « »; two short fragments for a long message. */
const HEADLINE = `StartSel=«, StopSel=», MaxWords=24, MinWords=8, MaxFragments=2, FragmentDelimiter=" … "`;

export type Hit = MessageRow & { rank: number; chat_name: string | null; chat_jid: string; snippet: string };

/** Whether the text has anything searchable (punctuation alone gives an empty query). */
export async function searchable(db: Knex, q: string): Promise<boolean> {
  const { rows } = await db.raw(`SELECT numnode(${QUERY}) > 0 AS ok`, [q]);
  return !!rows[0]?.ok;
}

/**
 * Visible, live messages matching `q`, best first (ts_rank: more matches rank higher; ties newest
 * first), keyset on (rank, id). The GIN index finds the matches; snippets are built only for the
 * page, on the original body with the accent-folding configuration, so "cafe" highlights "café".
 */
export async function search(db: Knex, user: Viewer, q: string, opts: { limit: number; chatId?: number; after?: [number, number] }): Promise<Hit[]> {
  const filters: string[] = [];
  const binds: Knex.RawBinding[] = [];
  if (opts.chatId !== undefined) (filters.push('AND m.chat_id = ?'), binds.push(opts.chatId));
  const { rows } = await db.raw(
    `WITH q AS (SELECT ${QUERY} AS query),
     hits AS (
       SELECT * FROM (
         SELECT ${MESSAGE_COLUMNS}, ts_rank(m.search, q.query)::float8 AS rank
           FROM q, messages m
          WHERE m.search @@ q.query AND ? AND m.revoked_at IS NULL ${filters.join(' ')}) r
        ${opts.after ? 'WHERE (r.rank, r.id) < (?::float8, ?::bigint)' : ''}
        ORDER BY r.rank DESC, r.id DESC LIMIT ?)
     SELECT h.*, c.name AS chat_name, c.jid AS chat_jid, ts_headline('wa_unaccent', coalesce(h.body, ''), q.query, ?) AS snippet
       FROM hits h CROSS JOIN q JOIN chats c ON c.id = h.chat_id
      ORDER BY h.rank DESC, h.id DESC`,
    [q, visibleMessage(db, user), ...binds, ...(opts.after ?? []), opts.limit + 1, HEADLINE],
  );
  return rows;
}
