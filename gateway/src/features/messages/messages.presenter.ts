import { messageBaseSchema, type MessageBase } from './messages.schemas.js';
import { jsonbPresenter } from '../../platform/db/jsonb-presenter.js';

/** Every column a reader needs (never the tsvector, which is large and only for the index). */
export const MESSAGE_COLUMNS = `m.id, m.org_id, m.chat_id, m.device_id, m.engine_message_id, m.engine_full_id, m.client_id, m.direction,
  m.sender_jid, m.sender_name, m.type, m.body, m.media, m.reply_to_engine_id, m.ack, m.status, m.error, m.next_attempt_at, m.source, m.sent_at,
  m.edited_at, m.revoked_at, m.kind, m.content, m.edits`;

/** A poll's votes as JSON (null for other messages), read by primary key within the same query. */
export const POLL_VOTES = `CASE WHEN m.type = 'poll' THEN coalesce((SELECT json_agg(json_build_object('voter_jid', v.voter_jid, 'options', v.options, 'voted_at', v.voted_at) ORDER BY v.voted_at)
    FROM poll_votes v WHERE v.device_id = m.device_id AND v.poll_engine_id = m.engine_message_id), '[]') END AS poll_votes`;

/** A message's current reactions as JSON, read by primary key within the same query (no extra round trip). */
export const REACTIONS = `coalesce((SELECT json_agg(json_build_object('emoji', r.emoji, 'sender_jid', r.sender_jid, 'reacted_at', r.reacted_at) ORDER BY r.reacted_at)
    FROM message_reactions r WHERE r.device_id = m.device_id AND r.engine_message_id = m.engine_message_id AND r.emoji IS NOT NULL), '[]') AS reactions,
  ${POLL_VOTES}`;

export type WithReactions = { reactions: ReactionRow[]; poll_votes?: PollVoteRow[] | null };

/** A stored message as browsers and events see it. */
export interface MessageRow {
  id: number;
  chat_id: number;
  device_id: string;
  engine_message_id: string | null;
  client_id?: string | null;
  direction: 'in' | 'out';
  sender_jid: string | null;
  sender_name: string | null;
  type: string;
  body: string | null;
  media: { mimetype?: string | null; filename?: string | null; size?: number | null; mediaId?: string | null } | null;
  reply_to_engine_id: string | null;
  ack: number;
  status: string;
  error?: string | null;
  /** When the outbox tries an unsent message again (null once sent or failed for good). */
  next_attempt_at?: Date | null;
  source: string | null;
  sent_at: Date;
  edited_at: Date | null;
  revoked_at: Date | null;
  /** message | system | note (older rows and test factories may lack it: message). */
  kind?: string | null;
  /** The structured part of the kind (see engine.types MessageContent), as stored. */
  content?: Record<string, unknown> | null;
  /** Earlier texts of an edited message. */
  edits?: { text: string | null; at: string }[] | null;
}

export interface PollVoteRow {
  voter_jid: string;
  options: string[];
  voted_at: Date | string;
}

const iso = (d: Date | string | null) => (d ? new Date(d).toISOString() : null);

/**
 * A stored message as the API and events show it. Its keys and types are the schema's
 * (`MessageBase`, messages.schemas.ts): a key missing or added here does not compile.
 */
export const presentMessage = (m: MessageRow): MessageBase => ({
  id: Number(m.id),
  chatId: Number(m.chat_id),
  deviceId: m.device_id,
  engineMessageId: m.engine_message_id,
  clientId: m.client_id ?? null,
  direction: m.direction,
  from: m.sender_jid,
  senderName: m.sender_name,
  // The columns are text; their values are the schema's enums (a test parses stored rows with it).
  kind: (m.kind ?? 'message') as MessageBase['kind'],
  type: m.type as MessageBase['type'],
  body: m.revoked_at ? null : m.body,
  content: m.revoked_at ? null : ((m.content ?? null) as MessageBase['content']),
  media: m.media ? { mimetype: m.media.mimetype ?? null, filename: m.media.filename ?? null, size: m.media.size ?? null, mediaId: m.media.mediaId ?? null } : null,
  replyTo: m.reply_to_engine_id,
  // An unsent message whose last attempt failed is `retrying` (the stored status says pending).
  status: (m.status === 'pending' && m.error ? 'retrying' : m.status) as MessageBase['status'],
  error: m.error ?? null,
  lastError: m.error ?? null,
  nextAttemptAt: m.status === 'pending' ? iso(m.next_attempt_at ?? null) : null,
  sentAt: new Date(m.sent_at).toISOString(),
  editedAt: iso(m.edited_at),
  revoked: !!m.revoked_at,
});

/** A timestamp as `Date.toISOString()` writes it, in SQL. */
export const isoSql = (col: string) => `to_char(${col} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;

/** Each key of `MessageBase` as SQL over a messages row `m` (the mapped type: a key missing or extra does not compile). */
const MESSAGE_SQL: { [K in keyof MessageBase]-?: (m: string) => string } = {
  id: (m) => `${m}.id`,
  chatId: (m) => `${m}.chat_id`,
  deviceId: (m) => `${m}.device_id`,
  engineMessageId: (m) => `${m}.engine_message_id`,
  clientId: (m) => `${m}.client_id`,
  direction: (m) => `${m}.direction`,
  from: (m) => `${m}.sender_jid`,
  senderName: (m) => `${m}.sender_name`,
  kind: (m) => `${m}.kind`,
  type: (m) => `${m}.type`,
  body: (m) => `CASE WHEN ${m}.revoked_at IS NULL THEN ${m}.body END`,
  content: (m) => `CASE WHEN ${m}.revoked_at IS NULL THEN ${m}.content END`,
  media: (m) => `CASE WHEN jsonb_typeof(${m}.media) = 'object' THEN jsonb_build_object('mimetype', ${m}.media->'mimetype',
    'filename', ${m}.media->'filename', 'size', ${m}.media->'size', 'mediaId', ${m}.media->'mediaId') END`,
  replyTo: (m) => `${m}.reply_to_engine_id`,
  status: (m) => `CASE WHEN ${m}.status = 'pending' AND ${m}.error IS NOT NULL THEN 'retrying' ELSE ${m}.status END`,
  error: (m) => `${m}.error`,
  lastError: (m) => `${m}.error`,
  nextAttemptAt: (m) => `CASE WHEN ${m}.status = 'pending' THEN ${isoSql(`${m}.next_attempt_at`)} END`,
  sentAt: (m) => isoSql(`${m}.sent_at`),
  editedAt: (m) => isoSql(`${m}.edited_at`),
  revoked: (m) => `${m}.revoked_at IS NOT NULL`,
};
/**
 * `presentMessage` as a SQL expression over a messages row `m`, for events a statement writes itself
 * (the ingest stores a batch and its events in one statement). gateway/test/presenters-sql.test.ts
 * holds the two equal.
 */
export const presentMessageSql = jsonbPresenter(Object.keys(messageBaseSchema.shape) as (keyof MessageBase)[], MESSAGE_SQL);

export interface ReactionRow {
  engine_message_id?: string;
  sender_jid: string;
  emoji: string;
  reacted_at: Date;
}

/**
 * A poll's tally: each option with its count and voters (each voter's latest choice counts); null for
 * other messages.
 */
export function tallyVotes(m: Pick<MessageRow, 'type' | 'content'>, votes: PollVoteRow[] | null | undefined) {
  if (m.type !== 'poll') return null;
  const options = Array.isArray(m.content?.options) ? (m.content!.options as string[]) : [];
  const tally = new Map(options.map((o) => [o, [] as string[]]));
  for (const v of votes ?? []) for (const o of v.options ?? []) (tally.get(o) ?? tally.set(o, []).get(o)!).push(v.voter_jid);
  return [...tally].map(([option, voters]) => ({ option, count: voters.length, voters }));
}

/** A message with its reactions and, for polls, its votes (the reading API; events keep `presentMessage`). */
export const presentMessageWithReactions = (m: MessageRow, reactions: ReactionRow[], votes?: PollVoteRow[] | null) => ({
  ...presentMessage(m),
  reactions: reactions.map((r) => ({ emoji: r.emoji, from: r.sender_jid, at: iso(r.reacted_at)! })),
  pollVotes: tallyVotes(m, votes),
});
