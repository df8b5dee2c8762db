import type { EngineEvent, EngineKind } from '../engines/engine.types.js';

/** The device a batch item belongs to, as the ingest needs it. */
export interface DeviceCtx {
  id: string;
  orgId: string;
  engine: EngineKind;
  status: string;
}

/** One webhook delivery (or one history page) to store. */
export interface IngestItem {
  device: DeviceCtx;
  /** The engine's delivery id, deduplicated through webhook_receipts; null when the engine has none. */
  eventId: string | null;
  events: EngineEvent[];
}

export interface IngestOptions {
  /** History import: old messages do not count as unread and push no per-message events. */
  history?: boolean;
  /** Contact names this process already stored (key device|jid → names); unchanged ones are skipped. */
  knownContacts?: { get(key: string): string | undefined };
  /** Engine ids (key device|id) this process's outbox wrote on their rows once sent, with what it wrote. */
  knownSent?: { get(key: string): SentState | undefined };
  /** Chats this process already knows (key device|jid): their id, and whether they have a name. */
  knownChats?: { get(key: string): KnownChat | undefined };
  /** Told how each sealed change (encrypted edit, poll vote) whose original is stored fared. */
  onSealed?: (outcome: SealedOutcome, about: { deviceId: string; targetId: string; use: string }) => void;
}

export type SealedOutcome = 'opened' | 'no_secret' | 'failed';

/** What the outbox wrote on a sent message's row: its ack, and whether it has the engine's full id. */
export interface SentState {
  ack: number;
  fullId: boolean;
}

export interface KnownChat {
  id: number;
  named: boolean;
}

/** A new live message, as `message.received` announces it once its batch has committed. */
export interface ReceivedMessage {
  orgId: string;
  deviceId: string;
  chatId: number;
  messageId: number;
  direction: 'in' | 'out';
  /** Its media is only linked by the engine and still to be fetched. */
  remoteMedia: boolean;
}

export interface IngestResult {
  insertedMessages: number;
  /** New live messages (not history), announced after commit. */
  received: ReceivedMessage[];
  /** Stored messages this batch changed (acks, edits, revokes), announced after commit. */
  changed: { orgId: string; deviceId: string; chatId: number; messageId: number }[];
  /** Contact names written, to remember once the transaction has committed. */
  contactsWritten: [string, string][];
  /** Chats read or created (key device|jid), to remember once the transaction has committed. */
  chatsSeen: [string, KnownChat][];
  /** Devices whose status changed in this batch, old → new (the caller reacts after commit). */
  statusChanges: { orgId: string; deviceId: string; from: string; to: string }[];
}
