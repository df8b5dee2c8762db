import type { Knex } from 'knex';
import type { EventRow } from './realtime.repository.js';
import { prepared } from '../../platform/db/prepared.js';
import type { Role } from '../../platform/http/auth-context.js';
import { allows, eventPermission, type Relation } from '../access/access.policy.js';
import { REALTIME_EVENTS } from './realtime.schemas.js';

/**
 * Who may receive each event of a batch, decided now (not when the event was written), so a removed
 * member or a revoked share stops receiving at once. Each decision is the access policy's
 * (`allows(eventPermission(type), role, relation)`); this file only gathers the relations, for a
 * whole batch in at most three queries instead of per event or per socket:
 *
 * (each event type's scope is in REALTIME_EVENTS, realtime.schemas.ts)
 * - device scope (device.status, sync.progress): `chat.read` through the device (owner, members);
 * - chat scope (message.*, chat.updated): `chat.read` — those, plus the chat's share grantees;
 * - share scope (share.*): `chat.share` on the device (owner, agents: the sharer is one), and
 *   the grantee named in the event (`granteeId` or `grantee.id`), told of their own grant;
 * - org scope (contact.updated): `contact.read`, org-wide (CRM contacts are org data);
 * - always: active users of the event's org, and only for devices not deleted.
 *
 * `candidates` are the users with sockets on this process: nobody else needs resolving.
 */
export async function resolveAudiences(db: Knex, events: EventRow[], candidates: ReadonlySet<string>): Promise<Map<number, Set<string>>> {
  const out = new Map<number, Set<string>>();
  if (!events.length || !candidates.size) return out;
  const deviceIds = [...new Set(events.map((e) => e.device_id).filter((d): d is string => !!d))];
  const chatIds = [...new Set(events.filter((e) => e.chat_id !== null && isChatEvent(e.type)).map((e) => Number(e.chat_id)))];
  const people = [...candidates];

  // The three lookups are independent: they run side by side (three pool connections, one wait).
  const needsUsers = events.some((e) => scopeOf(e.type) === 'org' || scopeOf(e.type) === 'share');
  const [deviceRows, granteeRows, userRows] = await Promise.all([
    // The batch's live devices, with their owners and members among connected, active users.
    deviceIds.length
      ? prepared(
          db,
          'audience_devices',
          `SELECT d.id AS device_id, d.org_id, x.user_id, x.role, x.user_role
             FROM devices d
             LEFT JOIN LATERAL (
               SELECT y.user_id, y.role, u.role AS user_role
                 FROM (SELECT d.owner_id AS user_id, 'owner' AS role
                       UNION ALL SELECT m.user_id, m.role FROM device_members m WHERE m.device_id = d.id) y
                 JOIN users u ON u.id = y.user_id AND u.deleted_at IS NULL AND u.org_id = d.org_id
                WHERE y.user_id = ANY(?::uuid[])) x ON true
            WHERE d.id = ANY(?::uuid[]) AND d.deleted_at IS NULL`,
          [people, deviceIds],
        ).then((r) => r.rows as { device_id: string; org_id: string; user_id: string | null; role: Relation | null; user_role: Role }[])
      : [],
    // Grantees of the batch's chats (chat events only; share events name their grantee).
    chatIds.length
      ? prepared(
          db,
          'audience_grantees',
          `SELECT s.chat_id, s.grantee_id, u.role FROM chat_shares s
             JOIN chats c ON c.id = s.chat_id
             JOIN users u ON u.id = s.grantee_id AND u.deleted_at IS NULL AND u.org_id = c.org_id
            WHERE s.chat_id = ANY(?::bigint[]) AND s.grantee_id = ANY(?::uuid[])`,
          [chatIds, people],
        ).then((r) => r.rows as { chat_id: number; grantee_id: string; role: Role }[])
      : [],
    // Active users for org-wide events and named grantees.
    needsUsers ? (db('users').whereIn('id', people).whereNull('deleted_at').select('id', 'org_id', 'role') as Promise<{ id: string; org_id: string; role: Role }[]>) : [],
  ]);
  // device id → its org and its people: user id → [their role, their relation to the device]
  const devices = new Map<string, { orgId: string; users: Map<string, [Role, Relation]> }>();
  for (const r of deviceRows) {
    let d = devices.get(r.device_id);
    if (!d) devices.set(r.device_id, (d = { orgId: r.org_id, users: new Map() }));
    if (r.user_id) d.users.set(r.user_id, [r.user_role, r.role!]);
  }
  const grantees = new Map<number, [string, Role][]>();
  for (const r of granteeRows) {
    const list = grantees.get(Number(r.chat_id)) ?? [];
    list.push([r.grantee_id, r.role]);
    grantees.set(Number(r.chat_id), list);
  }
  const active = new Map<string, { org: string; role: Role }>(userRows.map((r) => [r.id, { org: r.org_id, role: r.role }]));

  for (const e of events) {
    const to = new Set<string>();
    const device = e.device_id ? devices.get(e.device_id) : undefined;
    const live = !!device && device.orgId === e.org_id;
    const permission = eventPermission(e.type);
    if (permission === 'contact.read') {
      for (const [id, u] of active) if (u.org === e.org_id && allows(permission, u.role)) to.add(id);
    } else {
      if (live) for (const [id, [role, relation]] of device!.users) if (allows(permission, role, relation)) to.add(id);
      if (scopeOf(e.type) === 'share') {
        // The grantee hears of their own grant (and of its end, when they no longer read the chat).
        const grantee = granteeOf(e.data);
        if (grantee && active.get(grantee)?.org === e.org_id) to.add(grantee);
      } else if (live && e.chat_id !== null && isChatEvent(e.type)) {
        for (const [id, role] of grantees.get(Number(e.chat_id)) ?? []) if (allows(permission, role, 'grantee')) to.add(id);
      }
    }
    out.set(e.id, to);
  }
  return out;
}

const scopeOf = (t: EventRow['type']) => REALTIME_EVENTS[t]?.scope;
const isChatEvent = (t: EventRow['type']) => scopeOf(t) === 'chat';

/** The grantee of a share event, from its JSON text (cheap: only share events are parsed). */
function granteeOf(data: string): string | undefined {
  try {
    const d = JSON.parse(data) as { granteeId?: unknown; grantee?: { id?: unknown } };
    const id = d.granteeId ?? d.grantee?.id;
    return typeof id === 'string' ? id : undefined;
  } catch {
    return undefined;
  }
}
