/** Small inline icons (no icon font: nothing extra to load). They are decorative; buttons carry labels. */
const p = { width: 20, height: 20, viewBox: '0 0 24 24', fill: 'currentColor', 'aria-hidden': true } as const;

export const ChatIcon = () => (
  <svg {...p}><path d="M12 3C6.5 3 2 6.9 2 11.7c0 2.5 1.2 4.7 3.2 6.3L4.5 22l4.2-2.2c1 .3 2.1.4 3.3.4 5.5 0 10-3.9 10-8.6S17.5 3 12 3z" /></svg>
);
export const PhoneIcon = () => (
  <svg {...p}><path d="M7 2h10a2 2 0 0 1 2 2v16a2 2 0 0 1-2 2H7a2 2 0 0 1-2-2V4a2 2 0 0 1 2-2zm0 3v13h10V5H7zm5 14.2a1 1 0 1 0 0 2 1 1 0 0 0 0-2z" /></svg>
);
export const SearchIcon = () => (
  <svg {...p}><path d="M10 3a7 7 0 0 1 5.6 11.2l5.1 5.1-1.4 1.4-5.1-5.1A7 7 0 1 1 10 3zm0 2a5 5 0 1 0 0 10 5 5 0 0 0 0-10z" /></svg>
);
export const ShieldIcon = () => (
  <svg {...p}><path d="M12 2l8 3v6c0 5-3.4 9.4-8 11-4.6-1.6-8-6-8-11V5l8-3zm-1 13.6l6-6-1.4-1.4-4.6 4.6-2.1-2.1L7.5 12l3.5 3.6z" /></svg>
);
export const LogoutIcon = () => (
  <svg {...p}><path d="M10 3h9a2 2 0 0 1 2 2v14a2 2 0 0 1-2 2h-9v-2h9V5h-9V3zm-.5 5.5L11 10H4v4h7l-1.5 1.5L11 17l5-5-5-5-1.5 1.5z" transform="matrix(-1 0 0 1 24 0)" /></svg>
);
export const SendIcon = () => (
  <svg {...p}><path d="M2 21l21-9L2 3v7l15 2-15 2z" /></svg>
);
export const ClipIcon = () => (
  <svg {...p}><path d="M16.5 6v11.5a4 4 0 0 1-8 0V5a2.5 2.5 0 0 1 5 0v10.5a1 1 0 0 1-2 0V6H10v9.5a2.5 2.5 0 0 0 5 0V5a4 4 0 0 0-8 0v12.5a5.5 5.5 0 0 0 11 0V6h-1.5z" /></svg>
);
export const BackIcon = () => (
  <svg {...p}><path d="M20 11H7.8l5.6-5.6L12 4l-8 8 8 8 1.4-1.4L7.8 13H20v-2z" /></svg>
);
export const StarIcon = ({ filled }: { filled?: boolean }) => (
  <svg {...p} fill={filled ? 'currentColor' : 'none'} stroke="currentColor" strokeWidth={1.8}><path d="M12 3l2.8 5.7 6.2.9-4.5 4.4 1 6.2L12 17.3 6.5 20.2l1-6.2L3 9.6l6.2-.9z" /></svg>
);
export const CloseIcon = () => (
  <svg {...p}><path d="M18.3 5.7L12 12l6.3 6.3-1.4 1.4L10.6 13.4 4.3 19.7 2.9 18.3 9.2 12 2.9 5.7 4.3 4.3l6.3 6.3 6.3-6.3z" transform="translate(1 0)" /></svg>
);
export const ReplyIcon = () => (
  <svg {...p}><path d="M10 9V5l-7 7 7 7v-4.1c5 0 8.5 1.6 11 5.1-1-5-4-10-11-11z" /></svg>
);
export const InfoIcon = () => (
  <svg {...p}><path d="M12 2a10 10 0 1 1 0 20 10 10 0 0 1 0-20zm-1 8v7h2v-7h-2zm0-3v2h2V7h-2z" /></svg>
);
export const ContactsIcon = () => (
  <svg {...p}><path d="M12 12a4 4 0 1 0 0-8 4 4 0 0 0 0 8zm0 2c-3.3 0-8 1.7-8 5v1h16v-1c0-3.3-4.7-5-8-5z" /></svg>
);
