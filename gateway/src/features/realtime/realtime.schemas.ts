import { z } from 'zod';

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

/** Every pushed event (documentation: the frames are not validated on the way out). */
export const eventFrame = z.object({
  seq: z.number().int().describe('The event id in the events table; increasing. Keep the last one to resume.'),
  type: z
    .enum(['message.created', 'message.updated', 'chat.updated', 'device.status', 'sync.progress', 'contact.updated', 'share.created', 'share.revoked', 'resync'])
    .describe('`resync`: the resume point is older than the retention; refetch, then continue from this seq.'),
  data: z.unknown().describe('The message, chat, device status, sync progress, contact or share, as the REST API shows it.'),
});
