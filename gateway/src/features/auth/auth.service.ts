import { createHash, randomBytes, randomUUID } from 'node:crypto';
import type { Knex } from 'knex';
import jwt from 'jsonwebtoken';
import client from 'prom-client';
import { unauthorized } from '../../platform/errors.js';
import type { AuthUser } from '../../platform/http/auth-context.js';
import type { UsersService } from '../users/users.service.js';
import { findActiveByEmail, type UserRow } from '../users/users.service.js';
import type { AuditService } from '../audit/audit.service.js';
import { presentUser } from '../users/users.presenter.js';
import type { AccessTokens } from './access-tokens.js';
import type { ExternalIdentity } from './external-identity.js';
import * as refresh from './refresh-tokens.repository.js';

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

export class AuthService {
  private unknownEmailFailures?: client.Counter;

  constructor(
    private readonly db: Knex,
    private readonly users: UsersService,
    private readonly access: AccessTokens,
    private readonly refreshTtlDays: number,
    private readonly external?: { identity: ExternalIdentity; orgId: string },
    /** Sign-ins and failed sign-ins of existing accounts are recorded here. */
    private readonly audit?: AuditService,
  ) {}

  async register(input: { orgName: string; email: string; name: string; password: string }, requestId?: string) {
    const { user } = await this.users.register(input, requestId);
    return this.issue(user, randomUUID());
  }

  async login(email: string, password: string, requestId?: string) {
    let user: UserRow;
    try {
      user = await this.users.verifyCredentials(email, password);
    } catch (e) {
      if ((e as { code?: string }).code === 'invalid_credentials') await this.failedSignIn(email, requestId);
      throw e;
    }
    await this.audit?.record({ orgId: user.org_id, actorId: user.id, action: 'auth.login', targetType: 'user', targetId: user.id, requestId });
    return this.issue(user, randomUUID());
  }

  /** Counts failed sign-ins on emails that are no active account (Prometheus), as the audit log has no org for them. */
  attachMetrics(registry: client.Registry) {
    this.unknownEmailFailures = new client.Counter({
      name: 'auth_login_failures_unknown_email_total',
      help: 'Failed sign-ins with an email that is no active account (those of existing accounts are in the audit log)',
      registers: [registry],
    });
  }

  /** An existing account: audited against it, nobody as actor (no one signed in). Anyone else: only counted. */
  private async failedSignIn(email: string, requestId?: string) {
    const owner = await findActiveByEmail(this.db, email.toLowerCase());
    if (!owner) return void this.unknownEmailFailures?.inc();
    await this.audit?.record({ orgId: owner.org_id, actorId: null, action: 'auth.login_failed', targetType: 'user', targetId: owner.id, details: { reason: 'wrong_password' }, requestId });
  }

  /** Rotation: each refresh token works once; showing a spent one revokes its whole family. */
  async refresh(token: string) {
    const row = await refresh.findByHash(this.db, sha256(token));
    if (!row || row.revoked_at) throw unauthorized('Refresh token is not valid', 'invalid_refresh_token');
    if (row.expires_at.getTime() <= Date.now()) throw unauthorized('Refresh token expired', 'invalid_refresh_token');
    if (!(await refresh.claim(this.db, row.id))) {
      await refresh.revokeFamily(this.db, row.family_id);
      throw unauthorized('Refresh token was already used; every session of this login is ended', 'refresh_token_reused');
    }
    const user = await this.users.findActive(row.user_id);
    if (!user) {
      await refresh.revokeFamily(this.db, row.family_id);
      throw unauthorized('Account is no longer active', 'invalid_refresh_token');
    }
    return this.issue(user, row.family_id);
  }

  /** Ends the session of this refresh token; with `everywhere`, every session of its owner. */
  async logout(token: string, everywhere: boolean) {
    const row = await refresh.findByHash(this.db, sha256(token));
    if (!row) return;
    if (everywhere) await refresh.revokeAllOfUser(this.db, row.user_id);
    else await refresh.revokeFamily(this.db, row.family_id);
  }

  /** Bearer token → the active caller. Our HS256 tokens, or the external provider's when configured. */
  async authenticate(token: string): Promise<AuthUser> {
    // One of ours seen before: no decoding to find its issuer.
    const known = this.access.known(token);
    if (known) return this.activeCaller(await this.users.findActive(known.sub), known.org);
    const decoded = jwt.decode(token, { complete: true });
    if (!decoded || typeof decoded.payload === 'string') throw unauthorized('Token is not a JWT', 'invalid_token');
    const ext = this.external;
    if (ext && decoded.payload.iss === ext.identity.issuer) {
      const claims = await ext.identity.verify(token).catch((e: Error) => {
        throw unauthorized(`Token rejected: ${e.message}`, 'invalid_token');
      });
      return this.activeCaller(await this.users.findOrCreateExternal(ext.orgId, claims), ext.orgId);
    }
    const claims = await this.access.verify(token).catch((e: Error) => {
      throw unauthorized(e.name === 'TokenExpiredError' ? 'Token expired' : `Token rejected: ${e.message}`, 'invalid_token');
    });
    return this.activeCaller(await this.users.findActive(claims.sub), claims.org);
  }

  /** When a token `authenticate` accepted expires (ms since the epoch), from its `exp`; null without one. */
  expiryOf(token: string): number | null {
    const exp = (jwt.decode(token) as { exp?: unknown } | null)?.exp;
    return typeof exp === 'number' ? exp * 1000 : null;
  }

  private activeCaller(user: UserRow | undefined, orgId: string): AuthUser {
    if (!user || user.org_id !== orgId) throw unauthorized('Account is no longer active', 'invalid_token');
    return { id: user.id, orgId: user.org_id, email: user.email, name: user.name, role: user.role };
  }

  private async issue(user: UserRow, familyId: string) {
    const refreshToken = randomBytes(32).toString('base64url');
    await refresh.insertRefresh(this.db, {
      userId: user.id,
      familyId,
      hash: sha256(refreshToken),
      expiresAt: new Date(Date.now() + this.refreshTtlDays * 86_400_000),
    });
    return {
      accessToken: this.access.sign({ sub: user.id, org: user.org_id, role: user.role }),
      refreshToken,
      expiresIn: this.access.ttlSeconds,
      user: presentUser(user),
    };
  }
}
