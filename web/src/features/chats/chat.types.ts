import type { Schema } from '../../api/schemas';

// Wire shapes come from the API's schemas (src/api/schemas.ts); what is added here is the client's own.
export type Tag = Schema<'Tag'>;
/** A chat as the lists show it; chats shared with the caller also carry who shared them, and never send. */
export type Chat = Schema<'Chat'> & { canSend?: boolean; sharedBy?: { id: string; name: string } | null };
/** A chat as a `chat.updated` event carries it (without the caller's view: access, pin, CRM badge). */
export type ChatSummary = Schema<'ChatSummary'>;
export type MessageContent = NonNullable<Schema<'Message'>['content']>;
export type Media = NonNullable<Schema<'Message'>['media']>;
export type MessageStatus = Schema<'Message'>['status'];
/**
 * A message as a conversation caches it: from a page (with reactions), a send's answer or an event
 * (`MessageEvent`: without reactions); `local` is the optimistic copy of a send not yet confirmed.
 */
export type Message = Schema<'MessageEvent'> & {
  reactions?: Schema<'Message'>['reactions'];
  local?: { file?: File; replyTo?: number };
};
/** A page of a list; conversation pages also have cursors both ways (`after` null: the newest message is in it). */
export interface Page<T> {
  items: T[];
  nextCursor: string | null;
  before?: string | null;
  after?: string | null;
}
/** Which slice of a conversation a cache entry holds: the newest messages, or those around one message. */
export interface MessagesArg {
  chatId: number;
  around?: number;
}
/** What the conversation needs of a device (a pick of the API's Device). */
export type ChatDevice = Pick<Schema<'Device'>, 'id' | 'name' | 'status' | 'engineReachable' | 'access'>;
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
