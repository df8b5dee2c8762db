import type { MessageStatus } from './chat.types';

const LABEL: Record<MessageStatus, string> = {
  pending: 'Sending',
  sent: 'Sent',
  delivered: 'Delivered',
  read: 'Read',
  played: 'Played',
  failed: 'Not sent',
  retrying: 'Not sent — retrying',
  received: '',
};

/** WhatsApp's ticks: a clock while pending, one tick sent, two delivered, two blue read. */
export function Ticks({ status }: { status: MessageStatus }) {
  if (status === 'received') return null;
  const label = LABEL[status];
  const common = { className: `ticks ticks-${status}`, role: 'img', 'aria-label': label, 'data-status': status, title: label } as const;
  if (status === 'pending' || status === 'retrying')
    return (
      <svg {...common} viewBox="0 0 16 16" width="14" height="14">
        <circle cx="8" cy="8" r="6" fill="none" stroke="currentColor" strokeWidth="1.5" />
        <path d="M8 4.5V8l2.5 1.5" fill="none" stroke="currentColor" strokeWidth="1.5" />
      </svg>
    );
  if (status === 'failed')
    return (
      <svg {...common} viewBox="0 0 16 16" width="14" height="14">
        <circle cx="8" cy="8" r="7" fill="currentColor" />
        <path d="M8 4v5M8 11v1.2" stroke="#fff" strokeWidth="1.8" />
      </svg>
    );
  const two = status !== 'sent';
  return (
    <svg {...common} viewBox="0 0 18 12" width="18" height="12">
      <path d="M1 6.5l3.2 3.2L11 2.5" fill="none" stroke="currentColor" strokeWidth="1.6" />
      {two && <path d="M7.2 9.2l.5.5L15 2.5" fill="none" stroke="currentColor" strokeWidth="1.6" />}
    </svg>
  );
}
