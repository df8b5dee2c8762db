import { isUniqueViolation } from '../../platform/db/pg-errors.js';
import { randomBytes, randomUUID } from 'node:crypto';
import { phoneOfJid } from '../engines/jid.js';
import type { Knex } from 'knex';
import type { Logger } from 'pino';
import { AppError, forbidden, notFound } from '../../platform/errors.js';
import type { Actor, AuthUser } from '../../platform/http/auth-context.js';
import type { AuditService } from '../audit/audit.service.js';
import { appendEvents } from '../realtime/event-log.js';
import type { EngineRegistry } from '../engines/engine-registry.js';
import { sessionOfDevice, type DeviceStatus, type EngineKind, type EngineSession, type SessionState } from '../engines/engine.types.js';
import * as repo from './devices.repository.js';
import type { EventBus } from '../../platform/events/event-bus.js';
import type { JobQueue } from '../../platform/jobs/job-queue.js';
import { presentDevice, presentDeviceState, type DeviceAccessName } from './devices.presenter.js';
import { requireAllowed, relationOfDeviceRow, type Permission } from '../access/access.policy.js';

export type { DeviceRow } from './devices.repository.js';

/** A device's engine session (the mapping lives in engines: sessionOfDevice). */
export const engineSessionOf = (d: repo.DeviceRow): EngineSession => sessionOfDevice(d);

// Rows come from listForUser (the policy's device.read), so a relation is always there.
const accessOf = (d: repo.DeviceWithAccess, user: AuthUser): DeviceAccessName => relationOfDeviceRow(user, d.owner_id, d.member_role)!;

export class DevicesService {
  constructor(
    private readonly db: Knex,
    private readonly engines: EngineRegistry,
    private readonly audit: AuditService,
    private readonly opts: { webhookBaseUrl: string; defaultEngine: EngineKind; reconcileMs: number },
    private readonly logger: Logger,
    private readonly events: EventBus,
    jobs: JobQueue,
  ) {
    // Once across replicas every reconcileMs; it stops between devices when the process stops.
    jobs.every('devices.reconcile', opts.reconcileMs, (signal) => this.reconcile(signal));
    engines.onCallOutcome?.((s, reachable) => this.noteCallOutcome(s, reachable));
  }

  // Last reachability written per engine session, so busy sessions do not write on every call.
  private readonly outcomes = new Map<string, { reachable: boolean; at: number }>();

  adapterFor(d: repo.DeviceRow) {
    return this.engines.adapter(d.engine);
  }

  /** Creates the device and its engine session; if the engine refuses, nothing is kept. */
  async create(actor: Actor, input: { name: string; engine?: EngineKind; engineUrl?: string }) {
    const engine = input.engine ?? this.opts.defaultEngine;
    const adapter = this.engines.adapter(engine);
    const id = randomUUID();
    const secret = randomBytes(32).toString('hex');
    const session = this.engines.sessionNameFor(engine, id);
    let device: repo.DeviceRow;
    try {
      device = await repo.insertDevice(this.db, {
        id,
        org_id: actor.user.orgId,
        owner_id: actor.user.id,
        name: input.name,
        engine,
        engine_session: session,
        engine_url: input.engineUrl ?? null,
        engine_token: null,
        engine_ref: null,
        webhook_secret: secret,
      });
    } catch (e) {
      if (isUniqueViolation(e))
        throw new AppError('engine_session_taken', 409, 'That engine already serves a device with this session (one WAHA per device: give each its own URL)');
      throw e;
    }
    let sessionCreated = false;
    try {
      const created = await adapter.createSession(engineSessionOf(device), {
        webhookUrl: `${this.opts.webhookBaseUrl}/webhooks/${engine}/${id}`,
        hmacKey: secret,
        metadata: { gatewayDeviceId: id, orgId: actor.user.orgId },
      });
      sessionCreated = true;
      device = await this.db.transaction(async (trx) => {
        const d = await repo.updateDevice(trx, id, { engine_token: created.token ?? null, engine_ref: created.engineRef ?? null });
        await this.record(trx, actor, 'device.create', id, { name: input.name, engine, session });
        return d!;
      });
    } catch (e) {
      await this.db('devices').where({ id }).del();
      // The device is not kept (e.g. its audit row failed): neither is its engine session, as far as the engine lets us.
      if (sessionCreated) await adapter.deleteSession(engineSessionOf(device)).catch((err: unknown) => this.logger.warn({ err, deviceId: id }, 'engine session of a failed device creation not removed'));
      throw e;
    }
    return presentDevice(device, 'owner');
  }

  async list(actor: Actor) {
    const rows = await repo.listForUser(this.db, actor.user);
    return { items: rows.map((d) => presentDevice(d, accessOf(d, actor.user))) };
  }

  async get(actor: Actor, id: string) {
    const { device, access } = await this.visible(actor, id);
    return presentDevice(device, access);
  }

  async rename(actor: Actor, id: string, name: string) {
    const { access } = await this.visible(actor, id);
    this.require(actor, access, 'device.manage');
    const d = await this.db.transaction(async (trx) => {
      const row = await repo.updateDevice(trx, id, { name });
      await this.record(trx, actor, 'device.rename', id, { name });
      return row!;
    });
    return presentDevice(d, access);
  }

  /** The current QR as raw text; the device's status follows what the engine says. */
  async qr(actor: Actor, id: string) {
    const { device, access } = await this.visible(actor, id);
    this.require(actor, access, 'device.pair');
    const state = await this.adapterFor(device).getQr(engineSessionOf(device));
    if (state.status !== device.status) await this.applyState(device, { status: state.status });
    return { status: state.status, qr: state.qr };
  }

  async pairingCode(actor: Actor, id: string, phone: string) {
    const { device, access } = await this.visible(actor, id);
    this.require(actor, access, 'device.pair');
    const code = await this.adapterFor(device).requestPairingCode(engineSessionOf(device), phone.replace(/^\+/, ''));
    return { code };
  }

  /** De-registers the phone; stored chats and history stay. */
  async logout(actor: Actor, id: string) {
    const { device, access } = await this.visible(actor, id);
    this.require(actor, access, 'device.manage');
    await this.adapterFor(device).logout(engineSessionOf(device));
    // The state and its audit row commit together (or neither does).
    await this.db.transaction(async (trx) => {
      await this.applyState(device, { status: 'logged_out' }, trx);
      await this.record(trx, actor, 'device.logout', id);
    });
  }

  /** Removes the engine session, then the device (soft: its history is no longer reachable). */
  async remove(actor: Actor, id: string) {
    const { device, access } = await this.visible(actor, id);
    this.require(actor, access, 'device.manage');
    await this.adapterFor(device).deleteSession(engineSessionOf(device));
    await this.db.transaction(async (trx) => {
      await repo.updateDevice(trx, id, { deleted_at: new Date(), status: 'logged_out' } as never);
      await trx('sync_jobs').where({ device_id: id }).whereIn('status', ['queued', 'running']).update({ status: 'cancelled', finished_at: trx.fn.now() });
      await this.record(trx, actor, 'device.delete', id, { session: device.engine_session });
    });
  }

  async members(actor: Actor, id: string) {
    await this.visible(actor, id);
    const rows = await repo.listMembers(this.db, id);
    return { items: rows.map((r: { user_id: string; name: string; email: string; role: 'agent' | 'viewer' }) => ({ userId: r.user_id, name: r.name, email: r.email, role: r.role })) };
  }

  async addMember(actor: Actor, id: string, userId: string, role: 'agent' | 'viewer') {
    const { device, access } = await this.visible(actor, id);
    this.require(actor, access, 'device.manage');
    if (userId === device.owner_id) throw new AppError('already_owner', 409, 'That person owns this device');
    const user = await this.db('users').where({ id: userId, org_id: actor.user.orgId }).whereNull('deleted_at').first('id');
    if (!user) throw notFound('User');
    await this.db.transaction(async (trx) => {
      await repo.upsertMember(trx, id, userId, role);
      await this.record(trx, actor, 'device.member.set', id, { userId, role });
    });
    return this.members(actor, id);
  }

  async removeMember(actor: Actor, id: string, userId: string) {
    const { access } = await this.visible(actor, id);
    this.require(actor, access, 'device.manage');
    await this.db.transaction(async (trx) => {
      const n = await repo.removeMember(trx, id, userId);
      if (!n) throw notFound('Member');
      await this.record(trx, actor, 'device.member.remove', id, { userId });
    });
  }

  /**
   * Moves a device to the state the engine reports, pushes `device.status`, and publishes
   * `device.status_changed` (and `device.connected`) once committed. Used by QR polling, logout and
   * the reconcile alike (webhooks change it through the ingest, which publishes the same).
   */
  async applyState(device: repo.DeviceRow, state: SessionState, trx?: Knex): Promise<repo.DeviceRow> {
    const run = async (t: Knex) => {
      const patch: Partial<repo.DeviceRow> = {};
      if (state.status !== device.status) Object.assign(patch, { status: state.status, status_at: new Date() });
      if (state.detail !== undefined && (state.detail ?? null) !== device.status_detail) patch.status_detail = state.detail ?? null;
      if (state.jid && state.jid !== device.jid) Object.assign(patch, { jid: state.jid, phone: phoneOfJid(state.jid) });
      if (state.pushName && state.pushName !== device.push_name) patch.push_name = state.pushName;
      if (state.status === 'connected' && device.status !== 'connected') patch.connected_at = new Date();
      if (!Object.keys(patch).length) return device;
      const updated = (await repo.updateDevice(t, device.id, patch))!;
      // The number and name too: a device often turns connected first through QR polling (no `me`
      // there) and learns its number from the status webhook a moment later.
      if (patch.status) {
        const e = { orgId: device.org_id, deviceId: device.id };
        this.events.afterCommit(t, 'device.status_changed', { ...e, status: updated.status, previous: device.status });
        if (updated.status === 'connected') this.events.afterCommit(t, 'device.connected', e);
      }
      if (patch.status || patch.jid || patch.push_name || patch.status_detail !== undefined) {
        await appendEvents(t, [
          {
            orgId: device.org_id,
            deviceId: device.id,
            type: 'device.status',
            data: { ...deviceStatusData(updated), previous: device.status },
          },
        ]);
      }
      return updated;
    };
    const updated = trx ? await run(trx) : await this.db.transaction(run);
    if (updated.status === 'connected' && device.status !== 'connected') this.logger.info({ deviceId: device.id }, 'device connected');
    return updated;
  }

  /**
   * Corrects every device whose stored status disagrees with its engine. One replica at a time
   * (advisory lock), so replicas do not stampede the engines. Stops between devices once `signal`
   * aborts (shutdown): the next run checks the rest.
   */
  async reconcile(signal?: AbortSignal): Promise<{ checked: number; corrected: number }> {
    return this.db.transaction(async (trx) => {
      const { rows } = await trx.raw(`SELECT pg_try_advisory_xact_lock(hashtext('devices:reconcile')) AS ok`);
      if (!rows[0]?.ok) return { checked: 0, corrected: 0 };
      const devices = await repo.listLive(trx);
      let checked = 0;
      let corrected = 0;
      for (const d of devices) {
        if (signal?.aborted) break;
        checked++;
        let state: SessionState;
        try {
          state = await this.adapterFor(d).getState(engineSessionOf(d));
        } catch (err) {
          this.logger.debug({ err, deviceId: d.id }, 'reconcile: engine did not answer');
          // An outage says nothing of the session: status stays, reachability records it.
          if (isOutage(err)) await this.setReachable(d, false).catch((e) => this.logger.warn({ err: e, deviceId: d.id }, 'reconcile: reachability not stored'));
          continue;
        }
        await this.setReachable(d, true).catch((e) => this.logger.warn({ err: e, deviceId: d.id }, 'reconcile: reachability not stored'));
        // A logged-out device the engine shows as waiting for a QR is still logged out to us.
        if (d.status === 'logged_out' && state.status === 'qr') continue;
        if (state.status === d.status && (state.detail === undefined || (state.detail ?? null) === d.status_detail)) continue;
        corrected++;
        this.logger.warn({ deviceId: d.id, stored: d.status, engine: state.status }, 'device status corrected by reconcile');
        try {
          // Its own transaction (another connection), so each correction is committed and announced at once.
          await this.applyState(d, state);
        } catch (err) {
          this.logger.warn({ err, deviceId: d.id }, 'reconcile: the correction could not be stored');
        }
      }
      return { checked, corrected };
    });
  }

  /**
   * Records whether the device's engine answered (reconcile, and the outcome of any engine call). Always
   * stamps `engine_checked_at`; pushes `device.status` only when reachability flips. Never touches `status`.
   */
  async setReachable(device: Pick<repo.DeviceRow, 'id'>, reachable: boolean): Promise<void> {
    await this.writeReachable('id = ?', [device.id], reachable);
  }

  /** An engine call on a session ended: written when reachability flips, else at most every 30 s. */
  private noteCallOutcome(s: EngineSession, reachable: boolean) {
    const key = `${s.engine}|${s.baseUrl ?? ''}|${s.session}`;
    const last = this.outcomes.get(key);
    const now = Date.now();
    if (last && last.reachable === reachable && now - last.at < 30_000) return;
    this.outcomes.set(key, { reachable, at: now });
    if (this.outcomes.size > 10_000) this.outcomes.delete(this.outcomes.keys().next().value!);
    this.writeReachable('engine = ? AND engine_session = ? AND engine_url IS NOT DISTINCT FROM ?', [s.engine, s.session, s.baseUrl ?? null], reachable).catch((err) => {
      this.outcomes.delete(key);
      this.logger.debug({ err }, 'engine reachability not stored');
    });
  }

  private async writeReachable(where: string, params: (string | null)[], reachable: boolean) {
    const { rows } = await this.db.raw(
      `UPDATE devices d SET engine_reachable = ?, engine_checked_at = now()
       FROM (SELECT id, engine_reachable AS was FROM devices WHERE ${where} AND deleted_at IS NULL ORDER BY id FOR NO KEY UPDATE) o
       WHERE d.id = o.id RETURNING d.*, o.was`,
      [reachable, ...params],
    );
    for (const row of rows as (repo.DeviceRow & { was: boolean })[]) {
      if (row.was === reachable) continue;
      this.logger.warn({ deviceId: row.id, reachable }, reachable ? 'engine reachable again' : 'engine unreachable');
      await appendEvents(this.db, [{ orgId: row.org_id, deviceId: row.id, type: 'device.status', data: { ...deviceStatusData(row), previous: row.status } }]);
    }
  }

  /** The device if the caller may know of it, with how they relate to it; 404 otherwise. */
  async visible(actor: Actor, id: string): Promise<{ device: repo.DeviceRow; access: DeviceAccessName }> {
    const d = await repo.getForUser(this.db, actor.user, id);
    if (!d) throw notFound('Device');
    return { device: d, access: accessOf(d, actor.user) };
  }

  private require(actor: Actor, access: DeviceAccessName, permission: Permission) {
    requireAllowed(permission, actor.user.role, access, 'Device');
  }

  private record(trx: Knex, actor: Actor, action: string, deviceId: string, details?: Record<string, unknown>) {
    return this.audit.record(
      { orgId: actor.user.orgId, actorId: actor.user.id, action, targetType: 'device', targetId: deviceId, details, requestId: actor.requestId },
      trx,
    );
  }
}

export type { DeviceStatus };

/** What a `device.status` event carries: the status model as the device schema shows it. */
export const deviceStatusData = (d: repo.DeviceRow) => ({ deviceId: d.id, ...presentDeviceState(d) });

/** Engine failures that mean "not reached" (a refusal with an HTTP status means it was reached). */
export const isOutage = (err: unknown) => err instanceof AppError && (err.code === 'engine_unreachable' || err.code === 'engine_timeout');
