import type { Knex } from 'knex';
import { AppError, forbidden } from '../../platform/errors.js';
import type { AuthUser } from '../../platform/http/auth-context.js';
import type { EngineRegistry } from '../engines/engine-registry.js';
import { engineSessionOf } from '../devices/devices.service.js';
import type { DeviceRow } from '../devices/devices.service.js';
import { allows, permissionBindings, permissionSql, relationOfDeviceRow } from '../access/access.policy.js';

export interface ProxyPlan {
  target: string;
  path: string;
  body: unknown;
  headers: Record<string, string>;
  deviceId: string;
}

const READ_METHODS = new Set(['GET', 'HEAD']);

/**
 * Decides where a passthrough call may go: the caller's own device (X-Device-Id among theirs, else
 * their first), its session forced into path and body, engine admin routes refused, viewers read-only.
 */
export class ProxyService {
  constructor(
    private readonly db: Knex,
    private readonly engines: EngineRegistry,
  ) {}

  async plan(user: AuthUser, method: string, path: string, body: unknown, deviceHeader: string | undefined): Promise<ProxyPlan> {
    const { device, access } = await this.pick(user, deviceHeader);
    if (!READ_METHODS.has(method.toUpperCase()) && !allows('device.passthrough.write', user.role, access)) throw forbidden('Viewers may only read through the passthrough (GET)');
    const session = engineSessionOf(device);
    const rules = this.engines.adapter(device.engine, session).proxyRules(session);
    if (rules.isAdminPath(method, path)) throw new AppError('engine_admin_route', 403, 'Engine administration routes are not reachable through the gateway');
    const forced = rules.forceSession(path, body);
    return { target: rules.baseUrl, path: forced.path, body: forced.body, headers: rules.authHeaders, deviceId: device.id };
  }

  private async pick(user: AuthUser, header: string | undefined): Promise<{ device: DeviceRow; access: 'owner' | 'agent' | 'viewer' }> {
    const q = this.db('devices as d')
      .leftJoin('device_members as m', (j) => j.on('m.device_id', 'd.id').andOnVal('m.user_id', user.id))
      .whereRaw(permissionSql('device.passthrough'), permissionBindings('device.passthrough', user))
      // Own devices first, oldest first: "their first device".
      .orderByRaw('(d.owner_id = ?) DESC, d.created_at ASC', [user.id])
      .select('d.*', 'm.role as member_role');
    if (header !== undefined) {
      if (!/^[0-9a-f-]{36}$/i.test(header)) throw new AppError('validation_failed', 400, 'Invalid header: X-Device-Id', [{ in: 'header', field: 'X-Device-Id', message: 'a device id' }]);
      q.where('d.id', header);
    }
    const row = (await q.first()) as (DeviceRow & { member_role: 'agent' | 'viewer' | null }) | undefined;
    if (!row) throw new AppError('no_device', 404, header ? 'No such device of yours' : 'You have no device to talk to');
    return { device: row, access: relationOfDeviceRow(user, row.owner_id, row.member_role) as 'owner' | 'agent' | 'viewer' };
  }
}
