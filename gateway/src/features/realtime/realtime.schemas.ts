import { z } from 'zod';
import { messageEventSchema } from '../messages/messages.schemas.js';
import { chatSummarySchema } from '../chats/chats.schemas.js';
import { deviceSchema, syncJobSchema } from '../devices/devices.schemas.js';

/** What a client may send on /ws. */
export const clientMessage = z.discriminatedUnion('type', [
  z.object({ type: z.literal('auth'), token: z.string().min(1).max(8192) }),
  z.object({ type: z.literal('resume'), since: z.number().int().min(0) }),
  z.object({ type: z.literal('ping') }),
]);
export type ClientMessage = z.infer<typeof clientMessage>;

export function parseClientMessage(text: string): ClientMessage | undefined {
  try {
    const r = clientMessage.safeParse(JSON.parse(text));
    return r.success ? r.data : undefined;
  } catch {
    return undefined;
  }
}

const deviceStatusData = deviceSchema
  .pick({ status: true, statusDetail: true, engineReachable: true, engineCheckedAt: true })
  .extend({
    deviceId: z.string().uuid(),
    previous: z.string().optional().describe('the status before; equal to status when only the number, name, detail or reachability changed'),
    phone: deviceSchema.shape.phone.optional(),
    pushName: deviceSchema.shape.pushName.optional(),
  })
  .meta({ id: 'DeviceStatusEvent' });

/**
 * Every event the socket sends, the ONE list: its type, its payload (`data`), and whom it concerns
 * (`scope`, which the audience and the replay read): `chat` — the device's people and the chat's
 * grantees; `device` — the device's people; `share` — sharers and the named grantee; `org` — the org.
 * The events log's type, the audience, the replay filter, the OpenAPI `RealtimeEvent` union and so the
 * web's types all come from here.
 */
export const REALTIME_EVENTS = {
  'message.created': { scope: 'chat', data: messageEventSchema },
  'message.updated': { scope: 'chat', data: messageEventSchema },
  'chat.updated': { scope: 'chat', data: chatSummarySchema },
  'device.status': { scope: 'device', data: deviceStatusData },
  'sync.progress': { scope: 'device', data: syncJobSchema.extend({ deviceId: z.string().uuid() }).meta({ id: 'SyncProgressEvent' }) },
  'contact.updated': {
    scope: 'org',
    // One contact (create, edit, tags, delete), or many at once (imports: refetch what you show).
    data: z
      .union([
        z.object({ id: z.string().uuid(), name: z.string(), phone: z.string(), deleted: z.boolean() }),
        z.object({
          bulk: z.literal(true),
          count: z.number().int().min(1).describe('how many contacts changed'),
          ids: z.array(z.string().uuid()).optional().describe('kept in the events log for durable consumers; never sent on the socket'),
        }),
      ])
      .meta({ id: 'ContactUpdatedEvent' }),
  },
  'share.created': {
    scope: 'share',
    data: z.object({ chatId: z.number(), granteeId: z.string().uuid(), grantedBy: z.string().uuid(), chat: chatSummarySchema }).meta({ id: 'ShareCreatedEvent' }),
  },
  'share.revoked': {
    scope: 'share',
    data: z.object({ chatId: z.number(), granteeId: z.string().uuid(), revokedBy: z.string().uuid() }).meta({ id: 'ShareRevokedEvent' }),
  },
} as const satisfies Record<string, { scope: 'chat' | 'device' | 'share' | 'org'; data: z.ZodType }>;

export type EventType = keyof typeof REALTIME_EVENTS;
export const EVENT_TYPES = Object.keys(REALTIME_EVENTS) as EventType[];
/** The payload of an event of type T, as the code that writes it builds it. */
export type EventData<T extends EventType> = z.input<(typeof REALTIME_EVENTS)[T]['data']>;
export const eventTypesOfScope = (scope: (typeof REALTIME_EVENTS)[EventType]['scope']) => EVENT_TYPES.filter((t) => REALTIME_EVENTS[t].scope === scope);

const seq = z.number().int().describe('The event id in the events table; increasing. Keep the last one to resume.');
const pascal = (t: string) => t.replace(/(^|[._])(\w)/g, (_m, _s, c: string) => c.toUpperCase());

/** One frame per type: `{seq, type, data}`. */
const eventFrames = EVENT_TYPES.map((type) =>
  z.object({ seq, type: z.literal(type), data: REALTIME_EVENTS[type].data }).meta({ id: `${pascal(type)}Frame` }),
);
const resyncFrame = z
  .object({ seq, type: z.literal('resync'), data: z.object({}) })
  .describe('the resume point is older than the retention; refetch, then continue from this seq')
  .meta({ id: 'ResyncFrame' });

/**
 * Every event frame the server sends on /ws, as a union on `type` (OpenAPI component `RealtimeEvent`):
 * the server's frames are typed from it and, in tests, checked against it (RealtimeHub's `validate`).
 */
export const realtimeEvent = z
  .discriminatedUnion('type', [eventFrames[0]!, ...eventFrames.slice(1), resyncFrame])
  .meta({ id: 'RealtimeEvent' });
/** What the server sends on /ws besides events: answers on the socket itself, without a seq. */
export const realtimeControl = z
  .discriminatedUnion('type', [
    z.object({ type: z.literal('ready'), data: z.object({ userId: z.string(), seq: z.number().int().describe('the server’s present: resume from here on a first connection') }) }),
    z.object({ type: z.literal('pong'), data: z.object({}) }),
    z.object({ type: z.literal('error'), data: z.object({ code: z.string(), message: z.string() }) }),
  ])
  .meta({ id: 'RealtimeControl' });
export type RealtimeControl = z.infer<typeof realtimeControl>;

/** The frames as a type, one member per event type (z.infer of a union built by map would not correlate type and data). */
export type RealtimeEvent =
  | { [T in EventType]: { seq: number; type: T; data: z.output<(typeof REALTIME_EVENTS)[T]['data']> } }[EventType]
  | { seq: number; type: 'resync'; data: Record<string, never> };
