// /wuzapi/user/contacts, /wuzapi/user/check, /wuzapi/group/list. Source: asternic/wuzapi handlers.go
// (function beside each route) at upstream commit 30c1805720c630b4ecfc842dd3ff63966c3ba315.
import { Router } from 'express';
import type { SimContext } from '../context.js';
import { digitsOf, phoneExists } from '../state/account.js';
import { userJid } from './format.js';
import { fail, ok, requireLoggedIn, userOf } from './http.js';

export function userRouter(_ctx: SimContext): Router {
  const r = Router();

  // GetContacts
  r.get('/user/contacts', (_req, res) => {
    const u = userOf(res);
    requireLoggedIn(u);
    const out: Record<string, unknown> = {};
    for (const c of u.account.contacts.values()) {
      out[userJid(c.phone)] = { Found: true, FirstName: c.name?.split(' ')[0] ?? '', FullName: c.name ?? '', PushName: c.pushName ?? '', BusinessName: '' };
    }
    ok(res, 200, out);
  });

  // CheckUser
  r.post('/user/check', (req, res) => {
    const u = userOf(res);
    requireLoggedIn(u);
    const phones = ((req.body ?? {}) as { Phone?: unknown }).Phone;
    if (!Array.isArray(phones) || phones.length === 0) throw fail(400, 'missing Phone in Payload');
    ok(res, 200, {
      Users: phones.map((p) => {
        const d = digitsOf(String(p));
        const exists = phoneExists(d);
        return { Query: String(p), IsInWhatsapp: exists, JID: exists ? userJid(d) : '', VerifiedName: '' };
      }),
    });
  });

  // ListGroups
  r.get('/group/list', (_req, res) => {
    const u = userOf(res);
    requireLoggedIn(u);
    const me = u.account.phone ?? '0';
    ok(res, 200, {
      Groups: [...u.account.groups.values()].map((g) => ({
        JID: g.id, Name: g.subject, OwnerJID: userJid(me), GroupCreated: new Date(u.createdAt).toISOString(),
        Participants: [me, ...g.participants].map((p) => ({ JID: userJid(p), IsAdmin: p === me, IsSuperAdmin: p === me })),
      })),
    });
  });

  return r;
}
