/**
 * The gateway's own words for what engines do and say. Nothing outside features/engines/ knows
 * an engine's field names: adapters translate both ways.
 *
 * JIDs are stored in one canonical form for both engines:
 *   person  <digits>@s.whatsapp.net   (WAHA's <digits>@c.us is converted)
 *   group   <id>@g.us
 *   hidden  <id>@lid                  (resolved to a person through the LID map when known)
 * Message ids are the WhatsApp key id (WAHA's `true_<chat>_<ID>` → `<ID>`), the same for both
 * engines and for a message seen by LID and by phone, so one unique key deduplicates them all.
 */
export type EngineKind = 'waha' | 'wuzapi';
export const ENGINE_KINDS = ['waha', 'wuzapi'] as const;

/**
 * Device status as the gateway shows it: the session as the engine reports it. Any engine status the
 * gateway does not know (WAHA passkey or re-pairing states among them) is `needs_attention`, with the
 * engine's own word beside it (`detail`). Whether the engine can be reached at all is kept apart.
 */
export const DEVICE_STATUSES = ['starting', 'qr', 'connected', 'disconnected', 'logged_out', 'failed', 'needs_attention'] as const;
export type DeviceStatus = (typeof DEVICE_STATUSES)[number];

/** Delivery state of a message; numeric order is the only allowed direction of change. */
export const ACK = { error: -1, pending: 0, sent: 1, delivered: 2, read: 3, played: 4 } as const;
export type AckName = keyof typeof ACK;

/** What an adapter needs to reach one device's session. */
export interface EngineSession {
  engine: EngineKind;
  /** WAHA session name, or WuzAPI user name. */
  session: string;
  /** Per-device engine URL when the device carries its own (one WAHA per device); else the configured one. */
  baseUrl?: string | null;
  /** WuzAPI: the user's token (secret) and its admin-side id. Unused by WAHA. */
  token?: string | null;
  engineRef?: string | null;
}

export interface CreateSessionInput {
  webhookUrl: string;
  /** Random per-device key the engine signs webhooks with. */
  hmacKey: string;
  metadata?: Record<string, string>;
}

/** What creating a session produced that must be stored on the device (WuzAPI: token and user id). */
export interface CreatedSession {
  token?: string;
  engineRef?: string;
}

export interface SessionState {
  status: DeviceStatus;
  /** The engine's own word for the state (WAHA `PASSKEY_REQUIRED`, WuzAPI `LoggedOut`…), when it gave one. */
  detail?: string | null;
  /** Canonical JID of the paired phone, when connected. */
  jid?: string | null;
  pushName?: string | null;
  /** The engine's own time of this state, when it gives one (WAHA webhooks): a late, older one is left out. */
  at?: Date | null;
}

export interface QrState {
  status: DeviceStatus;
  /** The raw QR text (for qrcode.react); null when not waiting for a scan. */
  qr: string | null;
}

export interface MediaRef {
  mimetype: string | null;
  filename?: string | null;
  /** Where the engine serves the bytes (WAHA); fetched by the gateway with the engine's key. */
  url?: string | null;
  /** Inline bytes (WuzAPI), base64 without a data: prefix. */
  base64?: string | null;
  size?: number | null;
  /** The gateway's stored copy (media table id), once the bytes are kept. */
  mediaId?: string | null;
}

/** Message types (kind `message`): what a phone sends. */
export const MESSAGE_TYPES = [
  'text', 'image', 'video', 'audio', 'voice', 'document', 'sticker', 'location', 'contact', 'poll', 'template', 'pending_decryption', 'other',
] as const;
/** System line types (kind `system`): things that happened in a chat, not messages anyone wrote. */
export const SYSTEM_TYPES = [
  'call_missed', 'call_answered', 'call_declined', 'group_joined', 'group_left', 'group_promoted', 'group_demoted', 'group_subject', 'group_description', 'group_picture', 'group_created',
] as const;
export type SystemType = (typeof SYSTEM_TYPES)[number];

/** The structured part of a message or system line, by its type. */
export type MessageContent =
  | { type: 'link'; url: string; title: string | null; description: string | null }
  | { type: 'location'; latitude: number | null; longitude: number | null; name: string | null; address: string | null; url: string | null; live: boolean }
  | { type: 'contact'; contacts: { name: string | null; numbers: string[]; vcard: string | null }[] }
  | { type: 'poll'; question: string; options: string[]; multiple: boolean; votesUnavailable?: boolean }
  | { type: 'template'; header: { text: string | null; media: string | null }; body: string | null; footer: string | null; buttons: string[] }
  | { type: 'call'; video: boolean; group: boolean }
  | { type: 'group'; actor: string | null; participants: string[]; subject?: string | null; description?: string | null };

export interface EngineMessage {
  id: string; // WhatsApp key id
  /** `system` for calls and group events (a centred line, no author); default `message`. */
  kind?: 'message' | 'system';
  /** The engine's own full id when it differs (WAHA serialized id), needed for replies and seen. */
  engineFullId?: string | null;
  chatJid: string;
  /** Who wrote it: the contact, the group participant, or our own number when fromMe. */
  senderJid: string | null;
  fromMe: boolean;
  timestamp: Date;
  type: (typeof MESSAGE_TYPES)[number] | SystemType;
  body: string | null;
  content?: MessageContent | null;
  media?: MediaRef | null;
  replyToId?: string | null;
  pushName?: string | null;
  /** WAHA message.any source: 'api' for our own sends echoed back. */
  source?: 'api' | 'app' | null;
  ack?: AckName | null;
  isGroup: boolean;
  /**
   * The message's own secret (messageContextInfo.messageSecret, base64): later edits and poll votes
   * to it arrive sealed with a key derived from it. Stored, never shown.
   */
  secret?: string | null;
}

/**
 * A change to another message delivered sealed with that message's secret (msg-secret.ts): an edit
 * from a newer phone (secretEncryptedMessage) or a poll vote (pollUpdateMessage). The ingest opens it
 * with the stored secret; the senders are every form (phone / LID) the engine named them by.
 */
export interface SealedChange {
  use: 'edit' | 'pollVote';
  /** The sealed message's own id (repeats of it are one change). */
  id: string;
  targetId: string;
  chatJid: string;
  /** Who sent the change, as stored for a vote (canonical). */
  senderJid: string | null;
  fromMe: boolean;
  /** Candidate JIDs (non-device form) of the original's sender and of the change's sender. */
  origSenders: string[];
  modSenders: string[];
  payload: string; // base64
  iv: string; // base64
  timestamp: Date;
}

export interface EngineChat {
  jid: string;
  name: string | null;
  isGroup: boolean;
  lastMessageAt?: Date | null;
  /** When the engine knows how many messages the chat holds (for progress). */
  messageCount?: number | null;
}

export interface EngineContact {
  jid: string;
  pushName?: string | null;
  fullName?: string | null;
  businessName?: string | null;
  /** Phone JID when the contact is known by LID. */
  phoneJid?: string | null;
}

export interface LidMapping {
  lid: string; // <id>@lid
  phoneJid: string; // <digits>@s.whatsapp.net
}

export interface ReplyRef {
  id: string;
  engineFullId?: string | null;
  fromMe: boolean;
  senderJid?: string | null;
}

export interface SendTextInput {
  chatJid: string;
  text: string;
  replyTo?: ReplyRef | null;
  /** A message id chosen before the first attempt (engines that accept one): retries reuse it, so the engine sends once. */
  id?: string | null;
}

export interface SendMediaInput {
  chatJid: string;
  kind: 'image' | 'document' | 'audio';
  mimetype: string;
  filename: string;
  data: Buffer;
  caption?: string | null;
  replyTo?: ReplyRef | null;
  id?: string | null;
}

/** Media bytes fetched from an engine. */
export interface DownloadedMedia {
  data: Buffer;
  mimetype: string | null;
}

export interface SendResult {
  /** The WhatsApp key id when the engine told it; WAHA may not, and its echo tells it later. */
  id: string | null;
  engineFullId?: string | null;
  timestamp: Date;
}

/** One normalized thing an engine told us in a webhook. */
export type EngineEvent =
  | { kind: 'session.status'; status: DeviceStatus; detail?: string | null; jid?: string | null; pushName?: string | null; /** The engine's own time of it, when it gives one (WAHA). */ at?: Date | null }
  | { kind: 'message'; message: EngineMessage }
  | { kind: 'ack'; ids: string[]; chatJid?: string | null; ack: AckName }
  | { kind: 'reaction'; targetId: string; senderJid: string | null; fromMe: boolean; emoji: string | null; timestamp: Date }
  | { kind: 'revoke'; targetId: string; timestamp: Date }
  /** `body` null: the edit's text is not known (delivered encrypted); the original still shows "edited". */
  | { kind: 'edit'; targetId: string; body: string | null; timestamp: Date }
  /** An edit or poll vote sealed with the original's secret: opened by the ingest, which holds the secret. */
  | { kind: 'sealed'; change: SealedChange }
  /** A vote on a poll (WAHA poll.vote): the voter's whole current choice. */
  | { kind: 'poll.vote'; pollId: string; voterJid: string; options: string[]; timestamp: Date }
  /** A chat's name as the engine knows it (group subject, history), set at `at`: the newest wins. */
  | { kind: 'chat.name'; chatJid: string; name: string; at: Date }
  | { kind: 'contact'; contact: EngineContact }
  | { kind: 'lid'; mapping: LidMapping }
  | { kind: 'qr'; qr: string | null };

export interface ParsedWebhook {
  /** The engine's delivery id (WAHA envelope id); null when the engine gives none (WuzAPI). */
  eventId: string | null;
  events: EngineEvent[];
  /** Old messages pushed by the engine (WuzAPI HistorySync): stored as history, not as news. */
  history?: boolean;
  /** What a history push held (chats with the names it gave, message count) and whether the engine said its sync is complete. */
  historySync?: { chats: { jid: string; name: string | null }[]; messages: number; complete: boolean };
  /** Event kinds of the delivery the gateway does not read: answered 2xx, counted, never stored. */
  ignored?: string[];
  /** NUL or lone surrogates were stripped from the delivery's text. */
  poisoned?: boolean;
  /** Why each event of the delivery that could not be read was left out (the rest is stored). */
  rejected?: string[];
}

/** The HTTP edge of a webhook as it arrived: exact bytes, lower-cased headers. */
export interface RawWebhook {
  body: Buffer;
  headers: Record<string, string | string[] | undefined>;
}

/** What the passthrough proxy needs to know about an engine. */
export interface ProxyRules {
  baseUrl: string;
  /** Headers that authenticate to the engine (added by the gateway, never shown). */
  authHeaders: Record<string, string>;
  /** True when the path (after /api/whatsapp) is an engine admin/server route: refused with 403. */
  isAdminPath(method: string, path: string): boolean;
  /** Rewrites path and JSON body so the call can only touch this session. */
  forceSession(path: string, body: unknown): { path: string; body: unknown };
}

export interface EngineAdapter {
  readonly kind: EngineKind;
  /**
   * The engine pushes history as webhooks (WuzAPI HistorySync) besides what its API can page: an import
   * then waits, after reading the API, until the engine says its sync is complete or it goes quiet.
   */
  readonly pushesHistory?: boolean;

  // session lifecycle
  createSession(s: EngineSession, input: CreateSessionInput): Promise<CreatedSession>;
  getState(s: EngineSession): Promise<SessionState>;
  getQr(s: EngineSession): Promise<QrState>;
  requestPairingCode(s: EngineSession, phoneDigits: string): Promise<string>;
  logout(s: EngineSession): Promise<void>;
  deleteSession(s: EngineSession): Promise<void>;

  // sending
  sendText(s: EngineSession, input: SendTextInput): Promise<SendResult>;
  sendMedia(s: EngineSession, input: SendMediaInput): Promise<SendResult>;
  /**
   * A message id for a send, chosen by the gateway before the first attempt, when the engine honours
   * it (WuzAPI); null when the engine picks its own (WAHA: its echo tells which).
   */
  newMessageId(): string | null;
  /** The bytes of an incoming message's media (WAHA: its url with the key; WuzAPI: the inline base64). */
  downloadMedia(s: EngineSession, media: MediaRef, maxBytes: number): Promise<DownloadedMedia>;
  markSeen(s: EngineSession, chatJid: string, messages: { id: string; engineFullId?: string | null; senderJid?: string | null }[]): Promise<void>;

  // reading (history import)
  listChats(s: EngineSession, page: { offset: number; limit: number }): Promise<EngineChat[]>;
  /** Newest first; `offset` counts from the newest message. */
  listMessages(s: EngineSession, chatJid: string, page: { offset: number; limit: number }): Promise<EngineMessage[]>;
  listContacts(s: EngineSession): Promise<EngineContact[]>;
  listLids(s: EngineSession): Promise<LidMapping[]>;
  resolveLid(s: EngineSession, lid: string): Promise<string | null>;
  /**
   * Whether a number has WhatsApp (WAHA `GET /api/contacts/check-exists`, WuzAPI `POST /user/check`):
   * its canonical JID when it has, null when it has not.
   */
  checkNumber(s: EngineSession, phoneDigits: string): Promise<{ exists: boolean; jid: string | null }>;

  // webhooks
  /** Timing-safe check of the engine's signature over the exact raw bytes. */
  verifyWebhook(raw: RawWebhook, hmacKey: string, opts: { allowUnsigned: boolean }): boolean;
  /**
   * Each event of the delivery is read on its own: one that cannot be read is named in `rejected`,
   * the others are returned. Throws WebhookPayloadError when nothing of the delivery can be read
   * (answered 2xx all the same when signed: engines retry anything else forever).
   */
  parseWebhook(raw: RawWebhook): ParsedWebhook;

  proxyRules(s: EngineSession): ProxyRules;
}

export class WebhookPayloadError extends Error {}

/** A device row's engine columns as the session an adapter is called with (the one mapping). */
export const sessionOfDevice = (d: { engine: EngineKind; engine_session: string; engine_url?: string | null; engine_token?: string | null; engine_ref?: string | null }): EngineSession => ({
  engine: d.engine,
  session: d.engine_session,
  baseUrl: d.engine_url,
  token: d.engine_token,
  engineRef: d.engine_ref,
});
