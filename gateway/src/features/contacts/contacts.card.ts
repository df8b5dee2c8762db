import type { Knex } from 'knex';
import type { AuthUser } from '../../platform/http/auth-context.js';
import { visibleChatIds } from '../access/access.policy.js';
import { iso } from './contacts.presenter.js';

type Viewer = Pick<AuthUser, 'id' | 'orgId'>;

const personJid = (phone: string) => `${phone.replace(/^\+/, '')}@s.whatsapp.net`;

/**
 * The chats with the person behind `phone` that `user` may see (the access policy: their devices'
 * chats and chats shared with them), the chat by phone JID or by a LID that the device's LID map ties to that phone.
 */
export function personChats(db: Knex, user: Viewer, phone: string) {
  const jid = personJid(phone);
  return db('chats as ch')
    .where('ch.org_id', user.orgId)
    .whereIn('ch.id', visibleChatIds(db, user)) // device access or a read-only share
    .where('ch.is_group', false)
    .andWhere((w) =>
      w.where('ch.jid', jid).orWhereIn('ch.jid', db('lid_map as l').whereRaw('l.device_id = ch.device_id').andWhere('l.phone_jid', jid).select('l.lid')),
    );
}

interface ChatCardRow {
  id: number;
  device_id: string;
  device_name: string;
  jid: string;
  name: string | null;
  unread_count: number;
  last_message_at: Date | null;
  m_id: number | null;
  m_direction: 'in' | 'out' | null;
  m_type: string | null;
  m_body: string | null;
  m_sent_at: Date | null;
  m_status: string | null;
}

export async function cardChats(db: Knex, user: Viewer, phone: string) {
  const rows = (await personChats(db, user, phone)
    .join('devices as d', 'd.id', 'ch.device_id')
    .joinRaw(
      `LEFT JOIN LATERAL (SELECT m.id, m.direction, m.type, m.body, m.sent_at, m.status FROM messages m
          WHERE m.chat_id = ch.id AND m.deleted_at IS NULL ORDER BY m.sent_at DESC, m.id DESC LIMIT 1) lm ON true`,
    )
    .select(
      'ch.id',
      'ch.device_id',
      'd.name as device_name',
      'ch.jid',
      'ch.name',
      'ch.unread_count',
      'ch.last_message_at',
      'lm.id as m_id',
      'lm.direction as m_direction',
      'lm.type as m_type',
      'lm.body as m_body',
      'lm.sent_at as m_sent_at',
      'lm.status as m_status',
    )
    .orderByRaw('lm.sent_at DESC NULLS LAST, ch.id DESC')) as ChatCardRow[];
  return rows.map((r) => ({
    id: r.id,
    deviceId: r.device_id,
    deviceName: r.device_name,
    jid: r.jid,
    name: r.name,
    unreadCount: r.unread_count,
    lastMessageAt: iso(r.last_message_at),
    lastMessage:
      r.m_id === null
        ? null
        : { id: r.m_id, direction: r.m_direction!, type: r.m_type ?? 'text', body: r.m_body, sentAt: iso(r.m_sent_at)!, status: r.m_status },
  }));
}

/**
 * Messages in and out, first and last contact, and the median reply time over the visible chats with
 * that person. A reply time runs from the first message of theirs that we had not answered yet to
 * our next message in the same chat.
 */
export async function contactStats(db: Knex, user: Viewer, phone: string) {
  const chatIds = personChats(db, user, phone).select('ch.id');
  const { rows } = await db.raw(
    `WITH m AS (
       SELECT chat_id, id, direction, sent_at,
              lag(direction) OVER (PARTITION BY chat_id ORDER BY sent_at, id) AS prev
         FROM messages WHERE chat_id IN ? AND deleted_at IS NULL),
     r AS (
       SELECT direction, sent_at, prev,
              max(CASE WHEN direction = 'in' AND prev IS DISTINCT FROM 'in' THEN sent_at END)
                OVER (PARTITION BY chat_id ORDER BY sent_at, id) AS asked_at
         FROM m)
     SELECT (SELECT count(DISTINCT chat_id) FROM m)::int AS chats,
            count(*) FILTER (WHERE direction = 'in')::int AS messages_in,
            count(*) FILTER (WHERE direction = 'out')::int AS messages_out,
            min(sent_at) AS first_at, max(sent_at) AS last_at,
            count(*) FILTER (WHERE direction = 'out' AND prev = 'in')::int AS replies,
            percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM sent_at - asked_at))
              FILTER (WHERE direction = 'out' AND prev = 'in') AS median_reply
       FROM r`,
    [chatIds],
  );
  const s = rows[0] as { chats: number; messages_in: number; messages_out: number; first_at: Date | null; last_at: Date | null; replies: number; median_reply: number | null };
  return {
    chats: s.chats,
    messagesIn: s.messages_in,
    messagesOut: s.messages_out,
    firstContactAt: iso(s.first_at),
    lastContactAt: iso(s.last_at),
    medianReplySeconds: s.median_reply === null ? null : Math.round(Number(s.median_reply) * 1000) / 1000,
    replies: s.replies,
  };
}
