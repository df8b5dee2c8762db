import type { Knex } from 'knex';
import { AppError } from '../../platform/errors.js';
import type { AuthUser } from '../../platform/http/auth-context.js';
import { decodeCursor, toPage } from '../../platform/http/pagination.js';
import { presentMessage } from '../messages/messages.presenter.js';
import * as repo from './search.repository.js';

const badQuery = (field: string, message: string) => new AppError('validation_failed', 400, `Invalid query: ${field}`, [{ in: 'query', field, message }]);

/** Full-text search over every message the caller may see; accents and case do not matter. */
export class SearchService {
  constructor(private readonly db: Knex) {}

  async search(actor: { user: AuthUser }, q: { q: string; limit: number; cursor?: string; chatId?: number }) {
    const key = decodeCursor(q.cursor, 2);
    if (key && !(typeof key[0] === 'number' && Number.isFinite(key[0]) && Number.isSafeInteger(key[1]))) throw badQuery('cursor', 'not a cursor this list gave out');
    if (!(await repo.searchable(this.db, q.q))) throw badQuery('q', 'nothing to search for: give at least one word');
    const rows = await repo.search(this.db, actor.user, q.q, { limit: q.limit, chatId: q.chatId, after: key as [number, number] | undefined });
    return toPage(rows, q.limit, (r) => [r.rank, Number(r.id)], (r) => ({
      message: presentMessage(r),
      chat: { id: Number(r.chat_id), name: r.chat_name, jid: r.chat_jid },
      rank: r.rank,
      snippet: r.snippet,
    }));
  }
}
