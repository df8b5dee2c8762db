import { useEffect, useRef } from 'react';

/** A compact grid of common emoji, by group: no library, loaded only when the picker first opens. */
const GROUPS: [string, string][] = [
  ['Smileys', '😀 😃 😄 😁 😆 😅 😂 🤣 😊 😇 🙂 🙃 😉 😌 😍 🥰 😘 😗 😙 😚 😋 😛 😝 😜 🤪 🤨 🧐 🤓 😎 🥳 😏 😒 😞 😔 😟 😕 🙁 😣 😖 😫 😩 🥺 😢 😭 😤 😠 😡 🤯 😳 🥵 🥶 😱 😨 😰 😥 😓 🤗 🤔 🤭 🤫 🤥 😶 😐 😑 😬 🙄 😯 😦 😧 😮 😲 🥱 😴 🤤 😪 😵 🤐 🥴 🤢 🤮 🤧 😷 🤒 🤕'],
  ['Gestures', '👍 👎 👌 🤌 🤏 ✌️ 🤞 🤟 🤘 🤙 👈 👉 👆 👇 ☝️ ✋ 🤚 🖐️ 🖖 👋 👏 🙌 👐 🤲 🙏 ✍️ 💪 🫶 🤝'],
  ['Hearts', '❤️ 🧡 💛 💚 💙 💜 🖤 🤍 🤎 💔 ❣️ 💕 💞 💓 💗 💖 💘 💝'],
  ['Things', '🎉 🎊 🎁 🎂 ☕ 🍕 🍔 🍺 🍷 ⚽ 🏆 📞 📱 💻 📧 📅 📌 📎 ✅ ❌ ⚠️ ❓ ❗ 💯 🔥 ⭐ 🌟 ✨ 💡 💰 🚀 ⏰ 🏠 🚗 ✈️ 🌍 ☀️ 🌧️ ❄️ 🌈'],
];

interface Props {
  onPick(emoji: string): void;
  onClose(): void;
}

export default function EmojiPicker({ onPick, onClose }: Props) {
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => {
    box.current?.querySelector<HTMLButtonElement>('button')?.focus();
    const away = (e: MouseEvent) => !box.current?.contains(e.target as Node) && onClose();
    const esc = (e: KeyboardEvent) => e.key === 'Escape' && onClose();
    document.addEventListener('mousedown', away);
    document.addEventListener('keydown', esc);
    return () => {
      document.removeEventListener('mousedown', away);
      document.removeEventListener('keydown', esc);
    };
  }, [onClose]);
  return (
    <div className="emoji-picker" ref={box} role="dialog" aria-label="Emoji" data-testid="emoji-picker">
      {GROUPS.map(([name, list]) => (
        <section key={name} aria-label={name}>
          <h3>{name}</h3>
          <div className="emoji-grid">
            {list.split(' ').map((e) => (
              <button key={e} type="button" className="emoji" onClick={() => onPick(e)} aria-label={e}>
                {e}
              </button>
            ))}
          </div>
        </section>
      ))}
    </div>
  );
}
