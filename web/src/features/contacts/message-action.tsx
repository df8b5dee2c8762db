import { useEffect, useRef, useState } from 'react';
import { useNavigate } from 'react-router';
import { errorMessage } from '../../api/http';
import { useGetSendDevicesQuery, useStartChatMutation, type SendDevice } from '../../api/start-chat.api';
import { formatPhone } from './phone';

/**
 * "Message" on a contact card: opens (or starts) the chat with this number on a device the person may
 * send from, then the chat with its composer focused. One such device: straight there; several: pick
 * one (name and number); none: disabled, saying why.
 */
export function MessageAction({ phone, name, onOpened }: { phone: string; name: string; onOpened?(chatId: number): void }) {
  const { data: devices, isLoading } = useGetSendDevicesQuery();
  const [start, starting] = useStartChatMutation();
  const [picking, setPicking] = useState(false);
  const navigate = useNavigate();
  const group = useRef<HTMLDivElement>(null);

  useEffect(() => {
    if (picking) group.current?.querySelector('button')?.focus();
  }, [picking]);

  const open = async (d: SendDevice) => {
    const r = await start({ deviceId: d.id, phone });
    if (!('data' in r) || !r.data) return;
    setPicking(false);
    // `compose`: the conversation focuses its composer even when this chat is already open.
    navigate(`/chats/${r.data.id}`, { state: { compose: Date.now() } });
    onOpened?.(r.data.id);
  };

  const list = devices ?? [];
  if (isLoading) return null;
  if (!list.length)
    return (
      <span className="message-action">
        <button type="button" disabled aria-describedby="message-none" data-testid="message-contact">
          Message
        </button>
        <span id="message-none" className="muted small">
          No device you may send from
        </span>
      </span>
    );
  return (
    <span className="message-action">
      <button
        type="button"
        className="primary"
        data-testid="message-contact"
        aria-expanded={list.length > 1 ? picking : undefined}
        aria-label={`Message ${name}`}
        disabled={starting.isLoading}
        onClick={() => (list.length === 1 ? void open(list[0]!) : setPicking(!picking))}
      >
        {starting.isLoading ? 'Opening…' : 'Message'}
      </button>
      {picking && (
        <div
          ref={group}
          className="send-from"
          role="group"
          aria-label="Send from"
          data-testid="send-from"
          onKeyDown={(e) => {
            if (e.key === 'Escape') setPicking(false);
          }}
        >
          <p className="muted">Send from</p>
          {list.map((d) => (
            <button key={d.id} type="button" onClick={() => void open(d)} disabled={starting.isLoading} data-testid="send-from-device">
              <strong>{d.name}</strong>
              <span className="muted">
                {d.phone ? formatPhone(d.phone) : 'number not linked yet'}
                {d.status !== 'connected' ? ` · ${d.status.replace('_', ' ')}` : ''}
              </span>
            </button>
          ))}
        </div>
      )}
      {starting.error && (
        <span role="alert" className="error small">
          {errorMessage(starting.error)}
        </span>
      )}
    </span>
  );
}
