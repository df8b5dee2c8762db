import { useState } from 'react';
import { AuditLog } from './audit-log';
import { UsersPanel } from './users-panel';
import './admin.css';

/** Administrators only (the app does not route others here; the API refuses them anyway). */
export default function AdminPage() {
  const [tab, setTab] = useState<'users' | 'audit'>('users');
  return (
    <main className="page admin-page" aria-labelledby="admin-title">
      <header className="page-head">
        <h1 id="admin-title">Administration</h1>
      </header>
      <div role="tablist" aria-label="Administration" className="tabs">
        <button role="tab" id="tab-users" aria-selected={tab === 'users'} aria-controls="panel-users" onClick={() => setTab('users')} tabIndex={tab === 'users' ? 0 : -1} onKeyDown={(e) => e.key === 'ArrowRight' && setTab('audit')}>
          Users
        </button>
        <button role="tab" id="tab-audit" aria-selected={tab === 'audit'} aria-controls="panel-audit" onClick={() => setTab('audit')} tabIndex={tab === 'audit' ? 0 : -1} onKeyDown={(e) => e.key === 'ArrowLeft' && setTab('users')}>
          Audit log
        </button>
      </div>
      {tab === 'users' ? (
        <section role="tabpanel" id="panel-users" aria-labelledby="tab-users">
          <UsersPanel />
        </section>
      ) : (
        <section role="tabpanel" id="panel-audit" aria-labelledby="tab-audit">
          <AuditLog />
        </section>
      )}
    </main>
  );
}
