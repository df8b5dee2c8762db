/**
 * Browser notifications and a sound for new messages while every tab of the app is hidden, shown by
 * one tab only. Tabs tell each other whether they are visible (BroadcastChannel); the tab holding
 * the Web Lock `wa-notify` is the one that notifies (another takes over when it closes). Permission
 * is asked once, when the person switches notifications on; the choice is kept in localStorage.
 */
import { realtime } from '../../api/realtime';

const PREF = 'wa-notify';
const tabId = Math.random().toString(36).slice(2);
const visibleTabs = new Map<string, number>(); // other tabs seen visible, with when they said so
let leader = false;
let started = false;
let channel: BroadcastChannel | null = null;

export type NotifyPref = 'on' | 'off';
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

const anyTabVisible = () => {
  if (document.visibilityState === 'visible') return true;
  const now = Date.now();
  for (const [id, at] of visibleTabs) if (now - at < 30_000) return true;
  else visibleTabs.delete(id);
  return false;
};

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

/** Starts listening once per page: socket events are already only those of chats this person may see. */
export function startNotifications(chatName: (chatId: number) => string | null) {
  if (started || typeof window === 'undefined') return;
  started = true;
  if (typeof BroadcastChannel !== 'undefined') {
    channel = new BroadcastChannel('wa-tabs');
    channel.onmessage = (e: MessageEvent<{ tab: string; visible: boolean }>) => {
      if (e.data.visible) visibleTabs.set(e.data.tab, Date.now());
      else visibleTabs.delete(e.data.tab);
    };
  }
  const say = () => channel?.postMessage({ tab: tabId, visible: document.visibilityState === 'visible' });
  document.addEventListener('visibilitychange', say);
  window.addEventListener('pagehide', () => channel?.postMessage({ tab: tabId, visible: false }));
  setInterval(() => document.visibilityState === 'visible' && say(), 10_000);
  say();
  // One tab notifies: whoever holds the lock until its page goes away.
  if (navigator.locks) void navigator.locks.request('wa-notify', () => new Promise<void>(() => (leader = true)));
  else leader = true;

  realtime.subscribe((e) => {
    if (e.type !== 'message.created' || !leader) return;
    const m = e.data;
    if (m.direction !== 'in' || notifyPref() !== 'on' || anyTabVisible()) return;
    if (!notificationsSupported() || Notification.permission !== 'granted') return;
    const title = chatName(m.chatId) ?? m.senderName ?? (m.from ? `+${m.from.split('@')[0]}` : 'New message');
    const n = new Notification(title, { body: m.body ?? `[${m.type}]`, tag: `chat-${m.chatId}` });
    n.onclick = () => {
      window.focus();
      location.assign(`/chats/${m.chatId}`);
      n.close();
    };
    beep();
  });
}
