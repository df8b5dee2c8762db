import { isUniqueViolation } from '../../platform/db/pg-errors.js';
import { allows } from '../access/access.policy.js';
import type { Knex } from 'knex';
import bcrypt from 'bcryptjs';
import { LRUCache } from 'lru-cache';
import { AppError, conflict, forbidden, notFound, unauthorized } from '../../platform/errors.js';
import type { Actor, AuthUser, Role } from '../../platform/http/auth-context.js';
import { decodeCursor, toPage } from '../../platform/http/pagination.js';
import type { AuditService } from '../audit/audit.service.js';
import * as repo from './users.repository.js';
import { presentUser } from './users.presenter.js';

/** For auth: the login lookup (others reach users through this service, never its repository). */
export { findActiveByEmail, type UserRow } from './users.repository.js';

export class UsersService {
  // A real hash to compare against when the email is unknown, so both paths take the same time.
  private readonly dummyHash: Promise<string>;
  // Every authenticated request needs the caller's row; a short cache keeps that off the database.
  // Changes made here evict at once; another replica's change shows within the TTL.
  private readonly activeById: LRUCache<string, repo.UserRow>;

  constructor(
    private readonly db: Knex,
    private readonly audit: AuditService,
    private readonly bcryptCost: number,
    cacheTtlMs = 5_000,
  ) {
    this.dummyHash = bcrypt.hash('no-such-user-password', bcryptCost);
    this.activeById = new LRUCache({ max: 10_000, ttl: Math.max(1, cacheTtlMs) });
  }

  hashPassword(plain: string) {
    return bcrypt.hash(plain, this.bcryptCost);
  }

  /** Creates a new organization and its first admin. */
  async register(input: { orgName: string; email: string; name: string; password: string }, requestId?: string) {
    const hash = await this.hashPassword(input.password);
    return this.uniqueEmail(() =>
      this.db.transaction(async (trx) => {
        const org = await repo.insertOrg(trx, input.orgName);
        const user = await repo.insertUser(trx, { orgId: org.id, email: input.email, name: input.name, role: 'admin', passwordHash: hash });
        await this.audit.record(
          { orgId: org.id, actorId: user.id, action: 'org.register', targetType: 'user', targetId: user.id, requestId },
          trx,
        );
        return { org, user };
      }),
    );
  }

  /** The active user whose password matches, or a 401 that does not tell which part was wrong. */
  async verifyCredentials(email: string, password: string): Promise<repo.UserRow> {
    const user = await repo.findActiveByEmail(this.db, email);
    const ok = await bcrypt.compare(password, user?.password_hash ?? (await this.dummyHash));
    if (!user || !user.password_hash || !ok) throw unauthorized('Wrong email or password', 'invalid_credentials');
    return user;
  }

  async findActive(id: string): Promise<repo.UserRow | undefined> {
    const hit = this.activeById.get(id);
    if (hit) return hit;
    const row = await repo.findActiveById(this.db, id);
    if (row) this.activeById.set(id, row);
    return row;
  }

  /** A person known to the external identity provider: found by subject, then email, else created as viewer. */
  async findOrCreateExternal(orgId: string, claims: { sub: string; email?: string; name?: string }) {
    const bySubject = await repo.findByExternalSubject(this.db, orgId, claims.sub);
    if (bySubject) return bySubject;
    if (!claims.email) throw unauthorized('The identity token has no email claim', 'invalid_token');
    const email = claims.email.toLowerCase();
    const byEmail = await repo.findActiveByEmail(this.db, email);
    if (byEmail) {
      if (byEmail.org_id !== orgId) throw unauthorized('This email belongs to another organization', 'invalid_token');
      if (byEmail.external_subject && byEmail.external_subject !== claims.sub)
        throw unauthorized('This email is bound to another identity', 'invalid_token');
      return (await repo.updateUser(this.db, orgId, byEmail.id, { external_subject: claims.sub })) ?? byEmail;
    }
    return this.uniqueEmail(() =>
      this.db.transaction(async (trx) => {
        const user = await repo.insertUser(trx, {
          orgId,
          email,
          name: claims.name ?? email,
          role: 'viewer',
          passwordHash: null,
          externalSubject: claims.sub,
        });
        await this.audit.record({ orgId, actorId: user.id, action: 'user.create.external', targetType: 'user', targetId: user.id }, trx);
        return user;
      }),
    );
  }

  async create(actor: Actor, input: { email: string; name: string; role: Role; password: string }) {
    const hash = await this.hashPassword(input.password);
    const user = await this.uniqueEmail(() =>
      this.db.transaction(async (trx) => {
        const u = await repo.insertUser(trx, { orgId: actor.user.orgId, email: input.email, name: input.name, role: input.role, passwordHash: hash });
        await this.record(trx, actor, 'user.create', u.id, { email: u.email, role: u.role });
        return u;
      }),
    );
    return presentUser(user);
  }

  async list(actor: Actor, f: { limit: number; cursor?: string; role?: Role; q?: string }) {
    const after = decodeCursor(f.cursor, 2) as [string, string] | undefined;
    const rows = await repo.listUsers(this.db, actor.user.orgId, { ...f, after });
    return toPage(rows, f.limit, (r) => [r.created_key, r.id], presentUser);
  }

  /** Colleagues anyone may pick (to share a chat, to add to a number): name and email only. */
  async directory(actor: Actor, f: { q?: string; limit: number }) {
    const rows = (await repo.listUsers(this.db, actor.user.orgId, { limit: f.limit, q: f.q })).slice(0, f.limit);
    rows.sort((a, b) => a.name.localeCompare(b.name));
    return { items: rows.map((u) => ({ id: u.id, name: u.name, email: u.email, role: u.role })) };
  }

  async get(actor: Actor, id: string) {
    const u = await repo.findActiveInOrg(this.db, actor.user.orgId, id);
    if (!u) throw notFound('User');
    return presentUser(u);
  }

  async update(actor: Actor, id: string, patch: { name?: string; role?: Role }) {
    const u = await this.db.transaction(async (trx) => {
      const before = await repo.findActiveInOrg(trx, actor.user.orgId, id);
      if (!before) throw notFound('User');
      if (patch.role && patch.role !== 'admin' && before.role === 'admin') await this.keepOneAdmin(trx, actor.user.orgId);
      const after = await repo.updateUser(trx, actor.user.orgId, id, patch);
      if (!after) throw notFound('User');
      await this.record(trx, actor, 'user.update', id, {
        ...(patch.name !== undefined ? { name: { from: before.name, to: after.name } } : {}),
        ...(patch.role !== undefined ? { role: { from: before.role, to: after.role } } : {}),
      });
      return after;
    });
    this.activeById.delete(id);
    return presentUser(u);
  }

  async remove(actor: Actor, id: string) {
    if (id === actor.user.id) throw new AppError('cannot_delete_self', 409, 'You cannot delete your own account');
    await this.db.transaction(async (trx) => {
      const u = await repo.softDelete(trx, actor.user.orgId, id);
      if (!u) throw notFound('User');
      await trx('refresh_tokens').where({ user_id: id }).whereNull('revoked_at').update({ revoked_at: trx.fn.now() });
      await this.record(trx, actor, 'user.delete', id, { email: u.email });
    });
    this.activeById.delete(id);
  }

  /** Own password with the old one; an admin may set another member's without it. */
  async changePassword(actor: Actor, id: string, input: { oldPassword?: string; newPassword: string }) {
    const self = id === actor.user.id;
    if (!self && !allows('user.manage', actor.user.role)) throw forbidden('Only an admin may set another person’s password');
    const target = await repo.findActiveInOrg(this.db, actor.user.orgId, id);
    if (!target) throw notFound('User');
    if (self) {
      if (!input.oldPassword)
        throw new AppError('validation_failed', 400, 'Invalid body: oldPassword', [
          { in: 'body', field: 'oldPassword', message: 'required to change your own password' },
        ]);
      if (!target.password_hash || !(await bcrypt.compare(input.oldPassword, target.password_hash)))
        throw new AppError('invalid_credentials', 403, 'The old password is wrong');
    }
    const hash = await this.hashPassword(input.newPassword);
    await this.db.transaction(async (trx) => {
      await repo.updateUser(trx, actor.user.orgId, id, { password_hash: hash });
      // A new password ends every other session of that person.
      await trx('refresh_tokens').where({ user_id: id }).whereNull('revoked_at').update({ revoked_at: trx.fn.now() });
      await this.record(trx, actor, self ? 'user.password.change' : 'user.password.reset', id);
    });
    this.activeById.delete(id);
  }

  private async keepOneAdmin(trx: Knex, orgId: string) {
    if ((await repo.countAdmins(trx, orgId)) <= 1)
      throw new AppError('last_admin', 409, 'The organization needs at least one admin');
  }

  private record(trx: Knex, actor: Actor, action: string, targetId: string, details?: Record<string, unknown>) {
    return this.audit.record(
      { orgId: actor.user.orgId, actorId: actor.user.id, action, targetType: 'user', targetId, details, requestId: actor.requestId },
      trx,
    );
  }

  private async uniqueEmail<T>(work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (e) {
      if (isUniqueViolation(e)) throw conflict('email_taken', 'An account with this email already exists');
      throw e;
    }
  }
}
