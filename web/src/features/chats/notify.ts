/**
 * Browser notifications and a sound for new messages while every tab of the app is hidden, shown by
 * one tab only. The notifying tab asks the others whether one is visible (BroadcastChannel); the tab holding
 * the Web Lock `wa-notify` is the one that notifies (another takes over when it closes). Permission
 * is asked once, when the person switches notifications on; the choice is kept in localStorage.
 */
import { realtime, type RealtimeEvent } from '../../api/realtime';

const PREF = 'wa-notify';
const tabId = Math.random().toString(36).slice(2);
/** How long the notifying tab waits for another tab to say it is visible. */
const ASK_MS = 150;
let leader = false;
let started = false;
let channel: BroadcastChannel | null = null;

export type NotifyPref = 'on' | 'off';

/** Calls `fn` when another tab switches notifications on or off (its switch shows the same). */
export function onNotifyPrefChange(fn: () => void) {
  const h = (e: StorageEvent) => {
    if (e.key === PREF || e.key === null) fn();
  };
  window.addEventListener('storage', h);
  return () => window.removeEventListener('storage', h);
}
export const notifyPref = (): NotifyPref => {
  try {
    return localStorage.getItem(PREF) === 'on' ? 'on' : 'off';
  } catch {
    return 'off';
  }
};
export const notificationsSupported = () => typeof window !== 'undefined' && 'Notification' in window;

/** Switches notifications on (asking the browser's permission the first time) or off. */
export async function setNotify(on: boolean): Promise<NotifyPref> {
  let pref: NotifyPref = on ? 'on' : 'off';
  if (on && notificationsSupported() && Notification.permission === 'default') {
    pref = (await Notification.requestPermission()) === 'granted' ? 'on' : 'off';
  }
  if (on && notificationsSupported() && Notification.permission === 'denied') pref = 'off';
  try {
    localStorage.setItem(PREF, pref);
  } catch {
    /* kept for this page only */
  }
  return pref;
}

/**
 * Whether any tab of the app is visible, asked at the moment it matters: this tab's own state, or a
 * visible tab answering on the channel within ASK_MS. Asking (instead of remembering what tabs said)
 * cannot be misled by a tab that reloaded or closed without saying goodbye.
 */
function anyTabVisible(): Promise<boolean> {
  if (document.visibilityState === 'visible') return Promise.resolve(true);
  const ch = channel;
  if (!ch) return Promise.resolve(false);
  const q = `${tabId}-${++asks}`;
  return new Promise((resolve) => {
    const done = (v: boolean) => {
      clearTimeout(timer);
      waiting.delete(q);
      resolve(v);
    };
    const timer = setTimeout(() => done(false), ASK_MS);
    waiting.set(q, () => done(true));
    ch.postMessage({ ask: q });
  });
}
let asks = 0;
const waiting = new Map<string, () => void>();

function beep() {
  try {
    const Ctx = window.AudioContext ?? (window as unknown as { webkitAudioContext?: typeof AudioContext }).webkitAudioContext;
    if (!Ctx) return;
    const ctx = new Ctx();
    const o = ctx.createOscillator();
    const g = ctx.createGain();
    o.frequency.value = 880;
    g.gain.setValueAtTime(0.001, ctx.currentTime);
    g.gain.exponentialRampToValueAtTime(0.2, ctx.currentTime + 0.02);
    g.gain.exponentialRampToValueAtTime(0.001, ctx.currentTime + 0.25);
    o.connect(g).connect(ctx.destination);
    o.start();
    o.stop(ctx.currentTime + 0.3);
    o.onended = () => void ctx.close();
  } catch {
    /* no sound: the notification still shows */
  }
}

/** Chat names as the chat list shows them (when it is mounted), and as chat.updated events tell them (always). */
let listNames: (chatId: number) => string | null = () => null;
const heardNames = new Map<number, string>();

type IncomingMessage = Extract<RealtimeEvent, { type: 'message.created' }>['data'];

/**
 * Starts listening once per page, on every page of the signed-in app (the shell starts it): every tab
 * tells the others whether it is visible, and may be the one that notifies, whatever page it shows.
 * Socket events are already only those of chats this person may see. `chatName`: the chat list's
 * names, given when it mounts.
 */
export function startNotifications(chatName?: (chatId: number) => string | null) {
  if (chatName) listNames = chatName;
  if (started || typeof window === 'undefined') return;
  started = true;
  if (typeof BroadcastChannel !== 'undefined') {
    channel = new BroadcastChannel('wa-tabs');
    // "Is any tab visible?": a visible tab answers; a hidden one stays silent.
    channel.onmessage = (e: MessageEvent<{ ask?: string; visible?: string }>) => {
      if (e.data.ask && document.visibilityState === 'visible') channel?.postMessage({ visible: e.data.ask });
      else if (e.data.visible) waiting.get(e.data.visible)?.();
    };
  }
  // One tab notifies: whoever holds the lock until its page goes away.
  if (navigator.locks) void navigator.locks.request('wa-notify', () => new Promise<void>(() => (leader = true)));
  else leader = true;

  realtime.subscribe((e) => {
    if (e.type === 'chat.updated') {
      const name = e.data.name;
      if (name) heardNames.set(e.data.id, name);
      return;
    }
    if (e.type !== 'message.created' || !leader) return;
    const m = e.data;
    if (m.direction !== 'in' || notifyPref() !== 'on') return;
    if (!notificationsSupported() || Notification.permission !== 'granted') return;
    // While the tabs answer, the chat.updated of the same message arrives: a new chat's name is known by then.
    void anyTabVisible().then((visible) => visible || show(m));
  });
}

function show(m: IncomingMessage) {
  const title = listNames(m.chatId) ?? heardNames.get(m.chatId) ?? m.senderName ?? (m.from ? `+${m.from.split('@')[0]}` : 'New message');
  const n = new Notification(title, { body: m.body ?? `[${m.type}]`, tag: `chat-${m.chatId}` });
  n.onclick = () => {
    window.focus();
    location.assign(`/chats/${m.chatId}`);
    n.close();
  };
  beep();
}
