import type { Api } from '../../platform/http/api.js';
import { deviceIdParams, syncJobSchema } from '../devices/devices.schemas.js';
import type { SyncService } from './sync.service.js';


export function syncRoutes(api: Api, sync: SyncService): void {
  api.route(
    { method: 'post', path: '/api/devices/:id/sync', summary: 'Import the device’s history now (or return the import already running)', tags: ['devices'], auth: 'user', params: deviceIdParams, status: 202, response: syncJobSchema, responses: { 403: 'Viewers cannot', 404: 'Not found', 409: 'Device not connected' } },
    ({ params, actor }) => sync.request(actor, params.id),
  );
  api.route(
    { method: 'get', path: '/api/devices/:id/sync', summary: 'Progress of the latest history import (totals, done, rate)', tags: ['devices'], auth: 'user', params: deviceIdParams, response: syncJobSchema, responses: { 404: 'No import yet' } },
    ({ params, actor }) => sync.status(actor, params.id),
  );
}
