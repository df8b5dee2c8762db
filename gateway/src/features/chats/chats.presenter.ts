import type { CrmBadge } from '../contacts/contacts.service.js';
import { isoSql } from '../messages/messages.presenter.js';
import { jsonbPresenter } from '../../platform/db/jsonb-presenter.js';
import { chatSummarySchema, type ChatSummary } from './chats.schemas.js';

export interface ChatRow {
  id: number;
  device_id: string;
  jid: string;
  name: string | null;
  is_group: boolean;
  last_message_at: Date | null;
  last_message_id: number | null;
  last_message_preview: string | null;
  unread_count: number;
}

/** A chat row as the API and `chat.updated` show it: the `ChatSummary` schema's keys and types (a key missing or extra does not compile). */
export const presentChat = (c: ChatRow): ChatSummary => ({
  id: Number(c.id),
  deviceId: c.device_id,
  jid: c.jid,
  name: c.name,
  isGroup: c.is_group,
  lastMessageAt: c.last_message_at ? new Date(c.last_message_at).toISOString() : null,
  lastMessageId: c.last_message_id === null ? null : Number(c.last_message_id),
  lastMessagePreview: c.last_message_preview,
  unreadCount: c.unread_count,
});

/** Each key of `ChatSummary` as SQL over a chats row `c` (see MESSAGE_SQL). */
const CHAT_SQL: { [K in keyof ChatSummary]-?: (c: string) => string } = {
  id: (c) => `${c}.id`,
  deviceId: (c) => `${c}.device_id`,
  jid: (c) => `${c}.jid`,
  name: (c) => `${c}.name`,
  isGroup: (c) => `${c}.is_group`,
  lastMessageAt: (c) => isoSql(`${c}.last_message_at`),
  lastMessageId: (c) => `${c}.last_message_id`,
  lastMessagePreview: (c) => `${c}.last_message_preview`,
  unreadCount: (c) => `${c}.unread_count`,
};
/** `presentChat` as a SQL expression over a chats row `c` (see `presentMessageSql`). */
export const presentChatSql = jsonbPresenter(Object.keys(chatSummarySchema.shape) as (keyof ChatSummary)[], CHAT_SQL);

export type ChatAccessName = 'owner' | 'agent' | 'viewer' | 'grantee';

/** A chat as the reading API shows it: how the caller relates to it, whether pinned, its CRM contact. */
export const presentChatForUser = (c: ChatRow, extra: { access: ChatAccessName; favorite: boolean; crm: CrmBadge | null }) => ({
  ...presentChat(c),
  access: extra.access,
  favorite: extra.favorite,
  crm: extra.crm,
});
