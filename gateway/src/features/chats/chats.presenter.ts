import type { CrmBadge } from '../contacts/contacts.service.js';
import { isoSql } from '../messages/messages.presenter.js';

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

export const presentChat = (c: ChatRow) => ({
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

/** `presentChat` as a SQL expression over a chats row `c` (see `presentMessageSql`). */
export const presentChatSql = (c: string) => `jsonb_build_object(
  'id', ${c}.id, 'deviceId', ${c}.device_id, 'jid', ${c}.jid, 'name', ${c}.name, 'isGroup', ${c}.is_group,
  'lastMessageAt', ${isoSql(`${c}.last_message_at`)}, 'lastMessageId', ${c}.last_message_id,
  'lastMessagePreview', ${c}.last_message_preview, 'unreadCount', ${c}.unread_count)`;

export type ChatAccessName = 'owner' | 'agent' | 'viewer' | 'grantee';

/** A chat as the reading API shows it: how the caller relates to it, whether pinned, its CRM contact. */
export const presentChatForUser = (c: ChatRow, extra: { access: ChatAccessName; favorite: boolean; crm: CrmBadge | null }) => ({
  ...presentChat(c),
  access: extra.access,
  favorite: extra.favorite,
  crm: extra.crm,
});
