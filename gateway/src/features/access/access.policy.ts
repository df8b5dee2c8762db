import type { Knex } from 'knex';
import type { AuthUser, Role } from '../../platform/http/auth-context.js';
import { forbidden, notFound } from '../../platform/errors.js';
import { preparedQuery } from '../../platform/db/prepared.js';
import type { EventType } from '../realtime/realtime.schemas.js';

/**
 * The one answer to "who may do what" (DESIGN.md, Access). Every route, the socket audience, the
 * passthrough's device pick and the outbox's send statement ask it:
 *
 * - `allows(permission, role, relation)`: the rule itself, pure;
 * - `chatRelation` / `deviceRelation` + `can…`/`require…`: for one object;
 * - `permissionSql(permission)`: the same rule as a SQL condition, for lists and single-statement writes.
 *
 * A device's chats are visible to its owner and members (agent, viewer) — to nobody else, org admins
 * included; a grantee of a read-only share reads that one chat and cannot send, share or delete.
 * Org admins manage devices (metadata, members), never read their chats through that role.
 */
export type Permission =
  | 'chat.read' // a chat, its messages, media and stats
  | 'chat.send' // send into it, mark it read (read receipts speak for the number)
  | 'chat.share' // grant or revoke read-only shares
  | 'chat.share.read' // see who a chat is shared with (the number's people, not grantees)
  | 'message.delete' // hide a message for the org
  | 'device.read' // a device's metadata and members
  | 'device.manage' // rename, members, log out, delete
  | 'device.pair' // its QR and pairing code (the phone is the owner's)
  | 'device.create' // add a device
  | 'device.sync' // start a history import
  | 'device.passthrough' // read through /api/whatsapp/*
  | 'device.passthrough.write' // write through /api/whatsapp/*
  | 'contact.read'
  | 'contact.edit' // CRM contacts, imports, favorites of contacts
  | 'tag.manage'
  | 'user.manage'
  | 'audit.read';

/** How a person relates to a device or a chat. `admin`: an org admin with no membership of the device. */
export type Relation = 'owner' | 'agent' | 'viewer' | 'grantee' | 'admin';
/** What `chatRelation` can answer (an admin's role gives nothing on a chat). */
export type ChatAccess = Exclude<Relation, 'admin'> | null;
export type DeviceAccess = Exclude<Relation, 'grantee'> | null;

interface Rule {
  /** Relations to the object that grant it; absent: an org-wide permission (roles decide alone). */
  relations?: readonly Relation[];
  /** Roles that may hold it at all; absent: any role. */
  roles?: readonly Role[];
}
const ANY_READER: readonly Relation[] = ['owner', 'agent', 'viewer', 'grantee'];
const WORKERS: readonly Relation[] = ['owner', 'agent'];

export const RULES: Readonly<Record<Permission, Rule>> = {
  'chat.read': { relations: ANY_READER },
  'chat.send': { relations: WORKERS },
  'chat.share': { relations: WORKERS },
  'chat.share.read': { relations: ['owner', 'agent', 'viewer'] },
  'message.delete': { relations: WORKERS },
  'device.read': { relations: ['owner', 'agent', 'viewer', 'admin'] },
  'device.manage': { relations: ['owner', 'admin'] },
  'device.pair': { relations: ['owner'] },
  'device.create': { roles: ['admin', 'editor'] },
  'device.sync': { relations: ['owner', 'agent', 'admin'] },
  'device.passthrough': { relations: ['owner', 'agent', 'viewer'] },
  'device.passthrough.write': { relations: WORKERS, roles: ['admin', 'editor'] },
  'contact.read': {},
  'contact.edit': { roles: ['admin', 'editor'] },
  'tag.manage': { roles: ['admin', 'editor'] },
  'user.manage': { roles: ['admin'] },
  'audit.read': { roles: ['admin'] },
};
export const PERMISSIONS = Object.keys(RULES) as Permission[];

/** The rule: may a person of `role`, related to the object by `relation`, do `permission`? */
export function allows(permission: Permission, role: Role | null | undefined, relation: Relation | null = null): boolean {
  if (!role) return false; // anonymous: nothing
  const rule = RULES[permission];
  if (rule.roles && !rule.roles.includes(role)) return false;
  if (!rule.relations) return true;
  if (relation === 'admin' && role !== 'admin') return false; // the admin relation is the admin role's
  return relation !== null && rule.relations.includes(relation);
}

/**
 * What a socket event needs: a device's and a chat's events reach those who read its chats (device
 * events through the device only), share events those who share, contact events the whole org.
 */
export function eventPermission(type: EventType): Permission {
  if (type === 'contact.updated') return 'contact.read';
  if (type === 'share.created' || type === 'share.revoked') return 'chat.share';
  return 'chat.read';
}

/** Roles that may hold an org-wide permission: what a route declares as its `auth`. */
export function rolesWith(permission: Permission): Role[] {
  const rule = RULES[permission];
  if (rule.relations) throw new Error(`${permission} depends on the object; check it in the service`);
  return [...(rule.roles ?? (['admin', 'editor', 'viewer'] as const))];
}

type Who = Pick<AuthUser, 'id' | 'orgId'> & { role?: Role };

/** How `user` relates to one device; an org admin without membership is `admin`. */
export async function deviceRelation(db: Knex, user: Who, deviceId: string): Promise<DeviceAccess> {
  const row = await db('devices as d')
    .leftJoin('device_members as m', (j) => j.on('m.device_id', 'd.id').andOnVal('m.user_id', user.id))
    .where({ 'd.id': deviceId, 'd.org_id': user.orgId })
    .whereNull('d.deleted_at')
    .first('d.owner_id', 'm.role');
  if (!row) return null;
  return relationOfDeviceRow(user, row.owner_id, row.role);
}

/** The relation from a device row already read with the caller's membership (`m.role`). */
export function relationOfDeviceRow(user: Who, ownerId: string, memberRole: string | null | undefined): DeviceAccess {
  if (ownerId === user.id) return 'owner';
  if (memberRole === 'agent' || memberRole === 'viewer') return memberRole;
  return user.role === 'admin' ? 'admin' : null;
}

/** How `user` relates to a chat: through its device (owner, member agent or viewer), a read-only share, or not at all. */
export async function chatRelation(db: Knex, user: Pick<AuthUser, 'id' | 'orgId'>, chatId: number | string): Promise<ChatAccess> {
  // Before every read of a chat: prepared, so it is not planned again on each request.
  const { rows } = await preparedQuery(db, db('chats as c')
    .join('devices as d', 'd.id', 'c.device_id')
    .leftJoin('device_members as m', (j) => j.on('m.device_id', 'd.id').andOnVal('m.user_id', user.id))
    .leftJoin('chat_shares as s', (j) => j.on('s.chat_id', 'c.id').andOnVal('s.grantee_id', user.id))
    .where({ 'c.id': chatId, 'd.org_id': user.orgId })
    .whereNull('d.deleted_at')
    .first('d.owner_id', 'm.role', 's.id as share_id'));
  const row = rows[0] as { owner_id: string; role: string | null; share_id: number | null } | undefined;
  if (!row) return null;
  if (row.owner_id === user.id) return 'owner';
  if (row.role) return row.role as ChatAccess;
  return row.share_id ? 'grantee' : null;
}

/** May `user` do `permission` on chat `chatId`? */
export async function canOnChat(db: Knex, user: Pick<AuthUser, 'id' | 'orgId' | 'role'>, permission: Permission, chatId: number | string): Promise<boolean> {
  return allows(permission, user.role, await chatRelation(db, user, chatId));
}

/**
 * Throws unless `relation` grants `permission`: 404 when the person may not even read the object
 * (`seenWith`; its existence is not revealed), 403 when they see it but may not do this.
 */
export function requireAllowed(
  permission: Permission,
  role: Role,
  relation: Relation | null,
  what: string,
  why?: string,
  seenWith: Permission = what === 'Device' ? 'device.read' : 'chat.read',
): void {
  if (allows(permission, role, relation)) return;
  if (!allows(seenWith, role, relation)) throw notFound(what);
  throw forbidden(why ?? `This needs ${permission} on the ${what.toLowerCase()}`);
}

/**
 * `permission` as a SQL condition on a device aliased `d` (and, for chat permissions, a chat `c`),
 * for lists and for writes that check who may act in the same statement (one round trip). The text
 * depends only on the permission (so statements stay prepared); bindings: `permissionBindings`.
 * Includes the org and "device not deleted".
 */
export function permissionSql(permission: Permission, d = 'd', c = 'c'): string {
  return relationsSql(RULES[permission], d, c);
}
export function permissionBindings(permission: Permission, user: Who): Knex.RawBinding[] {
  return relationsBindings(RULES[permission], user);
}

function relationsSql(rule: Rule, d: string, c: string): string {
  const rels = rule.relations ?? [];
  const memberRoles = rels.filter((r) => r === 'agent' || r === 'viewer');
  const any: string[] = [];
  if (rels.includes('owner')) any.push(`${d}.owner_id = ?`);
  if (memberRoles.length)
    any.push(`EXISTS (SELECT 1 FROM device_members pm WHERE pm.device_id = ${d}.id AND pm.user_id = ?${memberRoles.length < 2 ? ` AND pm.role = '${memberRoles[0]}'` : ''})`);
  if (rels.includes('grantee')) any.push(`EXISTS (SELECT 1 FROM chat_shares ps WHERE ps.chat_id = ${c}.id AND ps.grantee_id = ?)`);
  if (rels.includes('admin')) any.push(`?::text = 'admin'`);
  const roleCheck = rule.roles ? ` AND ?::text IN (${rule.roles.map((r) => `'${r}'`).join(', ')})` : '';
  return `${d}.org_id = ? AND ${d}.deleted_at IS NULL${roleCheck} AND (${any.length ? any.join(' OR ') : 'true'})`;
}
function relationsBindings(rule: Rule, user: Who): Knex.RawBinding[] {
  const rels = rule.relations ?? [];
  const b: Knex.RawBinding[] = [user.orgId];
  if (rule.roles) b.push(user.role ?? null);
  if (rels.includes('owner')) b.push(user.id);
  if (rels.some((r) => r === 'agent' || r === 'viewer')) b.push(user.id);
  if (rels.includes('grantee')) b.push(user.id);
  if (rels.includes('admin')) b.push(user.role ?? null);
  return b;
}
/** `permissionSql` as a knex raw, for `.whereRaw`/`.where(db.raw(...))`. */
export const permissionWhere = (db: Knex, permission: Permission, user: Who, d = 'd', c = 'c') =>
  db.raw(permissionSql(permission, d, c), permissionBindings(permission, user));

/** `chat.read` through the device (a share aside): its owner and members. */
const DEVICE_READERS: Rule = { relations: RULES['chat.read'].relations!.filter((r) => r !== 'grantee') };

/** Ids of the devices whose chats `user` may read (through the device, not a share), for `whereIn`. */
export function visibleDeviceIds(db: Knex, user: Pick<AuthUser, 'id' | 'orgId'>) {
  return db.select('d.id').from('devices as d').whereRaw(relationsSql(DEVICE_READERS, 'd', 'c'), relationsBindings(DEVICE_READERS, user));
}

/**
 * Ids of every chat `user` may read: chats of their visible devices, and chats shared with them.
 * A subquery for `whereIn('chats.id', …)`.
 */
export function visibleChatIds(db: Knex, user: Pick<AuthUser, 'id' | 'orgId'>) {
  return db
    .select('c.id')
    .from('chats as c')
    .whereIn('c.device_id', visibleDeviceIds(db, user))
    .union((u) =>
      u
        .select('s.chat_id')
        .from('chat_shares as s')
        .join('chats as c2', 'c2.id', 's.chat_id')
        .join('devices as d2', 'd2.id', 'c2.device_id')
        .where('s.grantee_id', user.id)
        .andWhere('d2.org_id', user.orgId)
        .whereNull('d2.deleted_at'),
    );
}
