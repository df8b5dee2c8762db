import { useEffect, useState, type ReactNode } from 'react';
import { NavLink, useLocation } from 'react-router';
import { useConnectionState, type ConnectionState } from '../api/realtime';
import { logout, type User } from '../api/session';
import { useGetSystemQuery } from '../api/system.api';
import { Avatar } from '../shared/avatar';
import { ChatIcon, ContactsIcon, LogoutIcon, PhoneIcon, SearchIcon, ShieldIcon } from '../shared/icons';

const STATE_TEXT: Record<ConnectionState, string> = {
  online: 'Live',
  connecting: 'Connecting…',
  reconnecting: 'Reconnecting…',
  offline: 'Offline',
};

/** The rail on the left (or bottom on a phone): screens, connection state, who is signed in. */
export function Shell({ user, children }: { user: User; children: ReactNode }) {
  const state = useConnectionState();
  const [menu, setMenu] = useState(false);
  const { data: system } = useGetSystemQuery();
  // The Devices page says it in its own words, with where to scan: once is enough.
  const onDevices = useLocation().pathname.startsWith('/devices');
  const link = ({ isActive }: { isActive: boolean }) => (isActive ? 'rail-link active' : 'rail-link');
  // On every page, not only Chats: "every tab hidden" counts the tabs showing Contacts or Search too.
  // Loaded after the first paint: it is not needed to draw anything.
  useEffect(() => void import('../features/chats/notify').then((n) => n.startNotifications()), []);
  return (
    <div className="shell">
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <nav className="rail" aria-label="Main">
        <NavLink to="/chats" className={link} title="Chats">
          <ChatIcon />
          <span>Chats</span>
        </NavLink>
        <NavLink to="/search" className={link} title="Search messages">
          <SearchIcon />
          <span>Search</span>
        </NavLink>
        <NavLink to="/contacts" className={link} title="Contacts">
          <ContactsIcon />
          <span>Contacts</span>
        </NavLink>
        <NavLink to="/devices" className={link} title="Devices and pairing">
          <PhoneIcon />
          <span>Devices</span>
        </NavLink>
        {user.role === 'admin' && (
          <NavLink to="/admin" className={link} title="Users and audit log">
            <ShieldIcon />
            <span>Admin</span>
          </NavLink>
        )}
        <div className="rail-bottom">
          <span className={`conn conn-${state}`} role="status" aria-live="polite" title={`Live updates: ${STATE_TEXT[state]}`} data-testid="connection-state">
            <span className="dot" aria-hidden="true" />
            <span className="conn-text">{STATE_TEXT[state]}</span>
          </span>
          <div className="user-menu">
            <button className="icon-btn" aria-haspopup="menu" aria-expanded={menu} aria-label={`Account: ${user.name}`} onClick={() => setMenu((m) => !m)}>
              <Avatar name={user.name} size={34} />
            </button>
            {menu && (
              <div className="menu" role="menu" onKeyDown={(e) => e.key === 'Escape' && setMenu(false)}>
                <p className="menu-head">
                  <strong>{user.name}</strong>
                  <span>
                    {user.email} · {user.role}
                  </span>
                </p>
                <button role="menuitem" autoFocus onClick={() => void logout(false)}>
                  <LogoutIcon /> Sign out
                </button>
                <button role="menuitem" onClick={() => void logout(true)}>
                  <LogoutIcon /> Sign out on every device
                </button>
              </div>
            )}
          </div>
        </div>
      </nav>
      <div id="main" className="shell-main" tabIndex={-1}>
        {system?.demo && !onDevices && (
          <p className="demo-banner" role="note">
            Demo mode: the WhatsApp engine is the built-in <strong>simulator</strong>, not WhatsApp.
            {system.simulatorUrl && (
              <>
                {' '}
                <a href={system.simulatorUrl} target="_blank" rel="noreferrer">
                  Open the simulator page
                </a>
              </>
            )}
          </p>
        )}
        {children}
      </div>
    </div>
  );
}
