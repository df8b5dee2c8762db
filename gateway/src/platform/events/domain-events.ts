/**
 * The gateway's domain events: facts one feature owns and others react to. Payloads are thin (ids and
 * the few fields a listener needs to decide whether to act); a listener that needs more reads it.
 *
 * Two ways to hear them (see event-bus.ts and durable-consumers.ts):
 * - in process, after the publisher's commit, in the process that published: caches, live hints, kicks;
 * - durably, from the `events` log by a stored cursor, every replica's events exactly once: work that
 *   must not be lost in a crash (sync start; later auto-assignment, notifications, outgoing webhooks).
 *
 * Adding "auto-assign a conversation when a message arrives" is one file in its feature, called
 * where the feature's service is built:
 *
 *   export function registerAssignmentListeners(events: EventBus, jobs: JobQueue) {
 *     events.consume('assignment.auto-assign', ['message.received'], async (e, trx) => {
 *       if (e.data.direction === 'in') await assignIfUnassigned(trx, e.data.chatId); // commits with the cursor
 *     });
 *   }
 *
 * Work outside the database (a push, an HTTP call) is queued instead (`jobs.add(…, { trx })`): the
 * queue retries it with back-off.
 */
export interface DomainEvents {
  /** A new message came from WhatsApp, live (not history import): to us (`in`), or sent from the phone itself (`out`). */
  'message.received': { orgId: string; deviceId: string; chatId: number; messageId: number; direction: 'in' | 'out'; remoteMedia: boolean };
  /** The engine took a message our outbox sent: its engine id is on its row (committed). */
  'message.sent': { orgId: string; deviceId: string; chatId: number; messageId: number; engineId: string; ack: number; fullId: boolean };
  /** A stored message changed: delivery/read ack, edit, revoke, fetched media, failed send. */
  'message.status_changed': { orgId: string; deviceId: string; chatId: number; messageId: number };
  /** A chat's list entry changed: last message, unread count, name, archive/pin. */
  'chat.updated': { orgId: string; deviceId: string; chatId: number };
  /** A device became connected (from any other status). */
  'device.connected': { orgId: string; deviceId: string };
  /** A device's status changed (connected, qr, logged_out, …). */
  'device.status_changed': { orgId: string; deviceId: string; status: string; previous: string };
  /** A CRM contact was created, edited, re-tagged, imported or deleted (an import: one per contact it changed). */
  'contact.updated': { orgId: string; contactId: string; deleted: boolean };
  /** The engine pushed history (WuzAPI HistorySync), now stored: what it held (`imported`: messages new to the store), and whether the engine said its sync is complete. */
  'history.received': { orgId: string; deviceId: string; chats: { jid: string; name: string | null }[]; messages: number; imported: number; complete: boolean };
}

export type DomainEventName = keyof DomainEvents;

/** One event with its name, as durable consumers receive them. */
export type DomainEvent<K extends DomainEventName = DomainEventName> = { [P in K]: { type: P; data: DomainEvents[P] } }[K];

/**
 * What durable consumers can hear: everything the event log records. (`message.sent` is this
 * process's alone for now: the log shows a sent message only as a message update; `history.received`
 * only moves an import's progress, which its quiet period also ends.)
 */
export type DurableEventName = Exclude<DomainEventName, 'message.sent' | 'history.received'>;
