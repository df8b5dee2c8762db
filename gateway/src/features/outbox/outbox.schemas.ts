import { z } from 'zod';
import { messageSchema as conversationMessage } from '../messages/messages.schemas.js';

// Multipart forms send every field as text: numbers are coerced, so one schema fits JSON and forms.
export const chatMessageBody = z.object({
  clientId: z.string().trim().min(1).max(100).describe('The sender’s idempotency key: the same key again returns the same message'),
  text: z.string().max(65_536).optional().describe('The text, or the caption of an uploaded file'),
  replyTo: z.coerce.number().int().positive().optional().describe('Id of the message (in this chat) this one answers'),
});

export const sendBody = z.object({
  deviceId: z.string().uuid(),
  to: z.string().trim().min(3).max(80).describe('A phone number in any common format, or a group id (…@g.us)'),
  text: z.string().min(1).max(65_536),
  clientId: z.string().trim().min(1).max(100).optional(),
  replyTo: z.coerce.number().int().positive().optional(),
});

export const chatIdParams = z.object({ id: z.coerce.number().int().positive() });
export const messageIdParams = z.object({ id: z.coerce.number().int().positive() });

// The message as presentMessage shapes it (the conversation's shape, without reactions).
export const messageSchema = conversationMessage.omit({ reactions: true });
