import { z } from 'zod';
import { DEVICE_STATUSES, ENGINE_KINDS } from '../engines/engine.types.js';

export const deviceIdParams = z.object({ id: z.string().uuid() });

export const createDeviceBody = z
  .object({
    name: z.string().trim().min(1).max(80),
    engine: z.enum(ENGINE_KINDS).optional().describe('default: ENGINE_DEFAULT'),
    engineUrl: z.string().url().max(500).optional().describe('this device’s own engine (one WAHA per device)'),
  })
  .strict();

export const updateDeviceBody = z.object({ name: z.string().trim().min(1).max(80) }).strict();

export const pairingCodeBody = z
  .object({
    phone: z
      .string()
      .trim()
      .transform((v) => v.replace(/[\s\-().]/g, '').replace(/^00/, '+'))
      .pipe(z.string().regex(/^\+?[1-9]\d{6,14}$/, 'an international number, e.g. +491701234567')),
  })
  .strict();

export const memberBody = z.object({ userId: z.string().uuid(), role: z.enum(['agent', 'viewer']) }).strict();
export const memberParams = z.object({ id: z.string().uuid(), userId: z.string().uuid() });

export const syncJobSchema = z.object({
  id: z.number(),
  status: z.enum(['queued', 'running', 'done', 'failed', 'cancelled']),
  phase: z
    .enum(['engine_api', 'engine_history'])
    .nullable()
    .describe("while open: reading the engine's API, or waiting for the history the engine pushes (WuzAPI HistorySync) until it says complete or goes quiet"),
  trigger: z.string(),
  totalChats: z.number().nullable(),
  doneChats: z.number(),
  totalMessages: z.number().nullable(),
  doneMessages: z.number(),
  importedMessages: z.number(),
  ratePerSecond: z.number().nullable(),
  error: z.string().nullable(),
  startedAt: z.string().nullable(),
  finishedAt: z.string().nullable(),
}).meta({ id: 'SyncJob' });

export const deviceSchema = z.object({
  id: z.string().uuid(),
  name: z.string(),
  engine: z.enum(ENGINE_KINDS),
  engineSession: z.string(),
  status: z.enum(DEVICE_STATUSES).describe('the session as the engine reports it; needs_attention: a state the gateway does not know (see statusDetail)'),
  statusDetail: z.string().nullable().describe("the engine's own word for the state, e.g. PASSKEY_REQUIRED"),
  engineReachable: z.boolean().describe('whether the gateway reached the engine at its last try (an outage never changes status)'),
  engineCheckedAt: z.string().nullable().describe('when the gateway last reached, or failed to reach, the engine'),
  phone: z.string().nullable(),
  pushName: z.string().nullable(),
  ownerId: z.string().uuid(),
  access: z.enum(['owner', 'agent', 'viewer', 'admin']),
  statusAt: z.string(),
  connectedAt: z.string().nullable(),
  createdAt: z.string(),
}).meta({ id: 'Device' });

export const deviceList = z.object({ items: z.array(deviceSchema) }).meta({ id: 'DeviceList' });
export const qrSchema = z.object({ status: z.string(), qr: z.string().nullable() }).meta({ id: 'DeviceQr' });
export const memberSchema = z.object({ userId: z.string(), name: z.string(), email: z.string(), role: z.enum(['agent', 'viewer']) }).meta({ id: 'DeviceMember' });
