import { z } from 'zod';
import { rolesWith } from '../access/access.policy.js';
import type { Api } from '../../platform/http/api.js';
import type { DevicesService } from './devices.service.js';
import * as s from './devices.schemas.js';

const tags = ['devices'];
const engineErrors = { 409: 'The device’s engine session is incomplete (engine_session_incomplete)', 502: 'The engine refused (engine_rejected)', 503: 'Engine unreachable', 504: 'Engine timeout' };

export function devicesRoutes(api: Api, devices: DevicesService): void {
  api.route(
    { method: 'post', path: '/api/devices', summary: 'Add a device: creates its engine session with a signed webhook', tags, auth: rolesWith('device.create'), body: s.createDeviceBody, status: 201, response: s.deviceSchema, responses: { ...engineErrors, 409: 'Engine session taken' } },
    ({ body, actor }) => devices.create(actor, body),
  );
  api.route(
    { method: 'get', path: '/api/devices', summary: 'Devices the caller owns or works on (admins: all of the org)', tags, auth: 'user', response: s.deviceList },
    ({ actor }) => devices.list(actor),
  );
  api.route(
    { method: 'get', path: '/api/devices/:id', summary: 'One device', tags, auth: 'user', params: s.deviceIdParams, response: s.deviceSchema, responses: { 404: 'Not found' } },
    ({ params, actor }) => devices.get(actor, params.id),
  );
  api.route(
    { method: 'put', path: '/api/devices/:id', summary: 'Rename a device', tags, auth: 'user', params: s.deviceIdParams, body: s.updateDeviceBody, response: s.deviceSchema, responses: { 403: 'Not owner or admin', 404: 'Not found' } },
    ({ params, body, actor }) => devices.rename(actor, params.id, body.name),
  );
  api.route(
    { method: 'delete', path: '/api/devices/:id', summary: 'Delete a device and its engine session', tags, auth: 'user', params: s.deviceIdParams, status: 204, responses: { ...engineErrors, 403: 'Not owner or admin', 404: 'Not found' } },
    ({ params, actor }) => devices.remove(actor, params.id),
  );
  api.route(
    { method: 'get', path: '/api/devices/:id/qr', summary: 'The current QR code as raw text (null unless waiting for a scan)', tags, auth: 'user', params: s.deviceIdParams, response: s.qrSchema, responses: { ...engineErrors, 403: 'Only the owner pairs', 404: 'Not found' } },
    ({ params, actor }) => devices.qr(actor, params.id),
  );
  api.route(
    { method: 'post', path: '/api/devices/:id/pairing-code', summary: 'Pair by phone number instead of QR: returns the code to type on the phone', tags, auth: 'user', params: s.deviceIdParams, body: s.pairingCodeBody, response: z.object({ code: z.string() }), responses: { ...engineErrors, 403: 'Only the owner pairs', 404: 'Not found' } },
    ({ params, body, actor }) => devices.pairingCode(actor, params.id, body.phone),
  );
  api.route(
    { method: 'post', path: '/api/devices/:id/logout', summary: 'De-register the phone; stored history stays', tags, auth: 'user', params: s.deviceIdParams, status: 204, responses: { ...engineErrors, 403: 'Not owner or admin', 404: 'Not found' } },
    ({ params, actor }) => devices.logout(actor, params.id),
  );
  api.route(
    { method: 'get', path: '/api/devices/:id/members', summary: 'People working this number', tags, auth: 'user', params: s.deviceIdParams, response: z.object({ items: z.array(s.memberSchema) }), responses: { 404: 'Not found' } },
    ({ params, actor }) => devices.members(actor, params.id),
  );
  api.route(
    { method: 'post', path: '/api/devices/:id/members', summary: 'Add or change a member (agent sends, viewer reads)', tags, auth: 'user', params: s.deviceIdParams, body: s.memberBody, response: z.object({ items: z.array(s.memberSchema) }), responses: { 403: 'Not owner or admin', 404: 'Not found', 409: 'Already the owner' } },
    ({ params, body, actor }) => devices.addMember(actor, params.id, body.userId, body.role),
  );
  api.route(
    { method: 'delete', path: '/api/devices/:id/members/:userId', summary: 'Remove a member', tags, auth: 'user', params: s.memberParams, status: 204, responses: { 403: 'Not owner or admin', 404: 'Not found' } },
    ({ params, actor }) => devices.removeMember(actor, params.id, params.userId),
  );
}
