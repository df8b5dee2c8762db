// Rendering of every kind a phone sends (location, contact cards, polls, templates, link previews,
// voice/video/audio/stickers, "waiting for this message") and of the chat's system lines (calls,
// group events). message-bubble.tsx hands each message here; nothing here knows the conversation's layout.
import { useState } from 'react';
import { errorMessage } from '../../api/http';
import { clockTime, phoneOf } from '../../shared/format';
import type { Message, MessageContent } from './chat.types';
import { useAddContactFromCardMutation } from './contact-card.api';
import { downloadMedia, useMediaUrl } from './use-media-url';
import './message-kinds.css';

// Small icons drawn inline (emoji fonts differ between systems).
const Icon = ({ d, label }: { d: string; label?: string }) => (
  <svg className="kind-icon" viewBox="0 0 24 24" width="18" height="18" aria-hidden={label ? undefined : true} aria-label={label} role={label ? 'img' : undefined}>
    <path fill="currentColor" d={d} />
  </svg>
);
const PIN = 'M12 2a7 7 0 0 0-7 7c0 5.2 7 13 7 13s7-7.8 7-13a7 7 0 0 0-7-7zm0 9.5A2.5 2.5 0 1 1 12 6.5a2.5 2.5 0 0 1 0 5z';
const PHONE = 'M6.6 10.8a15.1 15.1 0 0 0 6.6 6.6l2.2-2.2a1 1 0 0 1 1-.25 11.4 11.4 0 0 0 3.6.57 1 1 0 0 1 1 1V20a1 1 0 0 1-1 1A17 17 0 0 1 3 4a1 1 0 0 1 1-1h3.5a1 1 0 0 1 1 1c0 1.25.2 2.45.57 3.57a1 1 0 0 1-.25 1z';
const CAMERA = 'M17 10.5V7a1 1 0 0 0-1-1H4a1 1 0 0 0-1 1v10a1 1 0 0 0 1 1h12a1 1 0 0 0 1-1v-3.5l4 4v-11z';
const MIC = 'M12 14a3 3 0 0 0 3-3V5a3 3 0 0 0-6 0v6a3 3 0 0 0 3 3zm5-3a5 5 0 0 1-10 0H5a7 7 0 0 0 6 6.92V21h2v-3.08A7 7 0 0 0 19 11z';
const CLOCK = 'M12 2a10 10 0 1 0 0 20 10 10 0 0 0 0-20zm1 10.4 3.2 1.9-.8 1.3L11 13V7h2z';

type Of<T extends MessageContent['type']> = Extract<MessageContent, { type: T }>;
const contentOf = <T extends MessageContent['type']>(m: Message, t: T) => (m.content?.type === t ? (m.content as Of<T>) : null);

/** Kinds whose text is shown by their own card, not as the plain body under it. */
export const ownsBody = (m: Message) => ['location', 'contact', 'poll', 'template', 'pending_decryption'].includes(m.type);

/** Kinds whose media is drawn here (the bubble draws images and documents itself). */
export const drawsMedia = (m: Message) => ['video', 'audio', 'voice', 'sticker'].includes(m.type);

const who = (jid: string | null | undefined) => (jid ? phoneOf(jid) : 'Someone');
const list = (jids: string[]) => (jids.length ? jids.map(who).join(', ') : 'You');

/** The sentence a system line says. */
export function systemText(m: Message): string {
  const g = contentOf(m, 'group');
  const actor = g?.actor ? who(g.actor) : null;
  switch (m.type) {
    // As WhatsApp Web says them: an answered call is just "Voice call", the others say what became of it.
    case 'call_missed':
    case 'call_answered':
    case 'call_declined': {
      const c = contentOf(m, 'call');
      const kind = c?.video ? 'video' : 'voice';
      const group = c?.group ? ' (group)' : '';
      if (m.type === 'call_answered') return `${c?.video ? 'Video' : 'Voice'} call${group}`;
      return m.type === 'call_declined' ? `Declined ${kind} call${group}` : `Missed ${kind} call${group}`;
    }
    case 'group_joined':
      return actor && g?.participants.length ? `${actor} added ${list(g.participants)}` : `${list(g?.participants ?? [])} joined`;
    case 'group_left':
      return actor && g?.participants.length && !g.participants.includes(g.actor!) ? `${actor} removed ${list(g.participants)}` : `${list(g?.participants ?? [])} left`;
    case 'group_promoted':
      return `${list(g?.participants ?? [])} now ${g?.participants.length === 1 ? 'is an' : 'are'} admin${g?.participants.length === 1 ? '' : 's'}`;
    case 'group_demoted':
      return `${list(g?.participants ?? [])} ${g?.participants.length === 1 ? 'is' : 'are'} no longer admin`;
    case 'group_subject':
      return actor ? `${actor} changed the group name to “${g?.subject ?? ''}”` : `The group name is now “${g?.subject ?? ''}”`;
    case 'group_description':
      return actor ? `${actor} changed the group description` : 'The group description changed';
    case 'group_picture':
      return actor ? `${actor} changed the group picture` : 'The group picture changed';
    case 'group_created':
      return actor ? `${actor} created the group` : 'The group was created';
    default:
      return m.type.replace(/_/g, ' ');
  }
}

/** A centred line in the timeline: a call or a group event. */
export function SystemLine({ m }: { m: Message }) {
  const call = m.type.startsWith('call_');
  return (
    <div className={`system-line${call ? ' call' : ''}${call && m.type !== 'call_answered' ? ' unanswered' : ''}`} data-testid="system-line" data-type={m.type} data-message-id={m.id}>
      <span>
        {call && <Icon d={contentOf(m, 'call')?.video ? CAMERA : PHONE} />}
        {systemText(m)}
        <time dateTime={m.sentAt}>{clockTime(m.sentAt)}</time>
      </span>
    </div>
  );
}

function Location({ c }: { c: Of<'location'> }) {
  const has = c.latitude !== null && c.longitude !== null;
  const href = c.url ?? (has ? `https://www.openstreetmap.org/?mlat=${c.latitude}&mlon=${c.longitude}#map=16/${c.latitude}/${c.longitude}` : null);
  return (
    <div className="kind-card location" data-testid="kind-location">
      <div className="loc-pin">
        <Icon d={PIN} />
      </div>
      <div className="kind-main">
        <strong>{c.name ?? (c.live ? 'Live location' : 'Location')}</strong>
        {c.address && <span>{c.address}</span>}
        {has && (
          <small className="muted">
            {c.latitude!.toFixed(5)}, {c.longitude!.toFixed(5)}
          </small>
        )}
        {href && (
          <a href={href} target="_blank" rel="noreferrer noopener">
            Open map
          </a>
        )}
      </div>
    </div>
  );
}

function ContactCard({ contact }: { contact: Of<'contact'>['contacts'][number] }) {
  const [add, state] = useAddContactFromCardMutation();
  const phone = contact.numbers[0] ?? null;
  return (
    <div className="kind-card contact" data-testid="kind-contact">
      <div className="avatar-mini" aria-hidden="true">
        {(contact.name ?? '?').slice(0, 1).toUpperCase()}
      </div>
      <div className="kind-main">
        <strong>{contact.name ?? 'Contact'}</strong>
        {contact.numbers.map((n) => (
          <span key={n}>{n}</span>
        ))}
        {phone && (
          <button type="button" className="link" disabled={state.isLoading || state.isSuccess} onClick={() => void add({ name: contact.name ?? phone, phone })}>
            {state.isSuccess ? 'Added to contacts' : 'Add to contacts'}
          </button>
        )}
        {state.error && <span className="error">{errorMessage(state.error)}</span>}
      </div>
    </div>
  );
}

function Poll({ m, c }: { m: Message; c: Of<'poll'> }) {
  const tally = new Map((m.pollVotes ?? []).map((v) => [v.option, v]));
  const total = (m.pollVotes ?? []).reduce((n, v) => n + v.count, 0);
  return (
    <div className="kind-card poll" data-testid="kind-poll">
      <div className="kind-main">
        <strong>{c.question}</strong>
        <small className="muted">{c.multiple ? 'Select one or more' : 'Select one'}</small>
        <ul className="poll-options">
          {c.options.map((o) => {
            const v = tally.get(o);
            const pct = total && v ? Math.round((v.count / total) * 100) : 0;
            return (
              <li key={o} title={v?.voters.map(who).join(', ')}>
                <span className="poll-label">{o}</span>
                {!c.votesUnavailable && <span className="poll-count">{v?.count ?? 0}</span>}
                {!c.votesUnavailable && (
                  <span className="poll-bar" aria-hidden="true">
                    <span style={{ width: `${pct}%` }} />
                  </span>
                )}
              </li>
            );
          })}
        </ul>
        {c.votesUnavailable ? (
          <small className="muted">Votes are not shown: this poll came without the secret its votes are sealed with.</small>
        ) : (
          <small className="muted">
            {total} vote{total === 1 ? '' : 's'}
          </small>
        )}
      </div>
    </div>
  );
}

function Template({ c }: { c: Of<'template'> }) {
  return (
    <div className="kind-card template" data-testid="kind-template">
      <div className="kind-main">
        {c.header.media && !c.header.text && <small className="muted">[{c.header.media}]</small>}
        {c.header.text && <strong>{c.header.text}</strong>}
        {c.body && <p className="body">{c.body}</p>}
        {c.footer && <small className="muted">{c.footer}</small>}
      </div>
      {c.buttons.length > 0 && (
        <ul className="tpl-buttons">
          {c.buttons.map((b, i) => (
            <li key={i}>{b}</li>
          ))}
        </ul>
      )}
    </div>
  );
}

function LinkPreview({ c }: { c: Of<'link'> }) {
  return (
    <a className="kind-card link-preview" href={c.url} target="_blank" rel="noreferrer noopener" data-testid="kind-link">
      <strong>{c.title ?? c.url}</strong>
      {c.description && <span>{c.description}</span>}
      <small className="muted">{c.url.replace(/^https?:\/\//, '').split('/')[0]}</small>
    </a>
  );
}

/** Video, audio, voice notes and stickers: played from the gateway's stored copy. */
function PlayableMedia({ m }: { m: Message }) {
  const { url, error } = useMediaUrl(m.media?.mediaId, !m.local?.file);
  const [err, setErr] = useState<string | null>(null);
  if (!m.media) return <p className="media-missing">{m.type === 'voice' ? 'Voice message' : m.type} not available</p>;
  if (error) return <p className="media-missing">Media not available</p>;
  const label = m.type === 'voice' ? 'Voice message' : m.type === 'sticker' ? 'Sticker' : m.type === 'video' ? 'Video' : 'Audio';
  return (
    <div className={`kind-media ${m.type}`} data-testid={`kind-${m.type}`}>
      {!url ? (
        <div className="media-img placeholder" role="status" aria-label={`Loading ${label.toLowerCase()}`} />
      ) : m.type === 'video' ? (
        <video src={url} controls preload="metadata" aria-label={label} />
      ) : m.type === 'sticker' ? (
        <img className="sticker" src={url} alt={label} loading="lazy" />
      ) : (
        <div className="audio-row">
          {m.type === 'voice' && (
            <span className="mic">
              <Icon d={MIC} />
            </span>
          )}
          <audio src={url} controls preload="none" aria-label={label} />
        </div>
      )}
      {m.media.mediaId && m.type !== 'sticker' && (
        <button type="button" className="link small" onClick={() => downloadMedia(m.media!.mediaId!, m.media!.filename ?? label).catch((e: Error) => setErr(e.message))}>
          Download
        </button>
      )}
      {err && <span className="error">{err}</span>}
    </div>
  );
}

/** The kind's own part of a message bubble (nothing for plain text, images and documents). */
export function KindContent({ m }: { m: Message }) {
  if (m.revoked) return null;
  if (m.type === 'pending_decryption') {
    return (
      <p className="body waiting" data-testid="kind-pending">
        <Icon d={CLOCK} /> Waiting for this message. This may take a while.
      </p>
    );
  }
  if (drawsMedia(m)) return <PlayableMedia m={m} />;
  const loc = contentOf(m, 'location');
  if (loc) return <Location c={loc} />;
  const contact = contentOf(m, 'contact');
  if (contact) return <>{contact.contacts.map((c, i) => <ContactCard key={i} contact={c} />)}</>;
  const poll = contentOf(m, 'poll');
  if (poll) return <Poll m={m} c={poll} />;
  const tpl = contentOf(m, 'template');
  if (tpl) return <Template c={tpl} />;
  const link = contentOf(m, 'link');
  if (link) return <LinkPreview c={link} />;
  // A structured kind stored before its content was kept: its text, at least.
  if (ownsBody(m) && m.body) return <p className="body">{m.body}</p>;
  return null;
}

/** Reactions under a bubble, grouped by emoji. */
export function Reactions({ m }: { m: Message }) {
  if (!m.reactions?.length) return null;
  const counts = new Map<string, number>();
  for (const r of m.reactions) counts.set(r.emoji, (counts.get(r.emoji) ?? 0) + 1);
  return (
    <div className="reactions" aria-label="Reactions" data-testid="reactions">
      {[...counts].map(([e, n]) => (
        <span key={e}>
          {e}
          {n > 1 && <small>{n}</small>}
        </span>
      ))}
    </div>
  );
}
