export interface Tag {
  id: string;
  name: string;
  color: string;
}
export interface Chat {
  id: number;
  deviceId: string;
  jid: string;
  name: string | null;
  isGroup?: boolean;
  lastMessageAt: string | null;
  lastMessageId?: number | null;
  lastMessagePreview: string | null;
  unreadCount: number;
  /** The CRM contact behind the chat, when there is one. */
  crm?: { contactId: string; name: string; phone?: string; tags: Tag[] } | null;
  /** How the caller sees this chat: 'grantee' and 'viewer' only read. */
  access?: string;
  canSend?: boolean;
  favorite?: boolean;
  deviceName?: string;
  sharedBy?: { id: string; name: string } | null;
}
export interface Media {
  mimetype: string | null;
  filename: string | null;
  size: number | null;
  mediaId: string | null;
}
export type MessageContent =
  | { type: 'link'; url: string; title: string | null; description: string | null }
  | { type: 'location'; latitude: number | null; longitude: number | null; name: string | null; address: string | null; url: string | null; live: boolean }
  | { type: 'contact'; contacts: { name: string | null; numbers: string[]; vcard: string | null }[] }
  | { type: 'poll'; question: string; options: string[]; multiple: boolean; votesUnavailable?: boolean }
  | { type: 'template'; header: { text: string | null; media: string | null }; body: string | null; footer: string | null; buttons: string[] }
  | { type: 'call'; video: boolean; group: boolean }
  | { type: 'group'; actor: string | null; participants: string[]; subject?: string | null; description?: string | null };
export type MessageStatus = 'received' | 'pending' | 'retrying' | 'sent' | 'delivered' | 'read' | 'played' | 'failed';
export interface Message {
  id: number;
  chatId: number;
  deviceId: string;
  engineMessageId?: string | null;
  clientId: string | null;
  direction: 'in' | 'out';
  from: string | null;
  senderName: string | null;
  /** message: someone wrote it; system: a call or group event (a centred line); note: the team's own. */
  kind?: 'message' | 'system' | 'note';
  type: string;
  body: string | null;
  /** The structured part of the kind (location, contact cards, poll, template, link preview, call, group event). */
  content?: MessageContent | null;
  media: Media | null;
  replyTo: string | number | null;
  status: MessageStatus;
  error: string | null;
  /** Why the last send attempt failed (the engine's reason), while retrying or failed. */
  lastError?: string | null;
  /** When a pending or retrying send is tried next. */
  nextAttemptAt?: string | null;
  sentAt: string;
  editedAt: string | null;
  revoked: boolean;
  reactions?: { emoji: string; from: string; at: string }[];
  /** Polls: each option with its count and voters. */
  pollVotes?: { option: string; count: number; voters: string[] }[] | null;
  /** Local only: the optimistic copy of a message the server has not confirmed. */
  local?: { file?: File; replyTo?: number };
}
export interface Page<T> {
  items: T[];
  nextCursor: string | null;
  /** Conversation pages: cursors to page older / newer; `after` is null when the page reaches the newest message. */
  before?: string | null;
  after?: string | null;
}
/** Which slice of a conversation a cache entry holds: the newest messages, or those around one message. */
export interface MessagesArg {
  chatId: number;
  around?: number;
}
export interface ChatDevice {
  id: string;
  name: string;
  status?: string;
  engineReachable?: boolean;
  access?: string;
}
export interface ChatFilters {
  deviceId?: string;
  unread?: boolean;
  favorite?: boolean;
  q?: string;
}

export const chatTitle = (c: Pick<Chat, 'name' | 'jid' | 'crm'>) => c.crm?.name ?? c.name ?? `+${c.jid.split('@')[0]}`;
export const chatTags = (c: Chat): Tag[] => c.crm?.tags ?? [];
export const chatContactId = (c: Chat) => c.crm?.contactId ?? null;
export const canSendIn = (c: Chat) => (c.canSend !== undefined ? c.canSend : !['grantee', 'viewer'].includes(c.access ?? ''));
