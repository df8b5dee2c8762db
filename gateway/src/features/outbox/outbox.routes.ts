import type { Api } from '../../platform/http/api.js';
import type { OutboxService } from './outbox.service.js';
import * as s from './outbox.schemas.js';
import { mediaUpload, type Upload } from './outbox.upload.js';

const tags = ['messages'];
const access = { 403: 'Viewer or grantee: reads only', 404: 'Chat not visible' };

export function outboxRoutes(api: Api, outbox: OutboxService, opts: { mediaMaxBytes: number }): void {
  api.route(
    {
      method: 'post', path: '/api/chats/:id/messages', tags, auth: 'user', params: s.chatIdParams, body: s.chatMessageBody, status: 202, response: s.messageSchema,
      summary: 'Send a message: JSON {clientId, text, replyTo?}, or multipart/form-data with a file (+ clientId, text as caption, replyTo). Answers 202 pending; a known clientId answers 200 with the same message',
      before: [mediaUpload(opts.mediaMaxBytes)],
      responses: { ...access, 409: 'clientId used in another chat, or reply target not sent yet', 413: 'File too large', 415: 'File type not allowed (sniffed from the bytes)' },
    },
    async ({ params, body, user, res }) => {
      const sent = await outbox.sendToChat(user, params.id, body, (res.locals.upload as Upload | null | undefined) ?? null);
      if (!sent.created) res.status(200).json(sent.message);
      return sent.message;
    },
  );
  api.route(
    {
      method: 'post', path: '/api/messages/send', tags, auth: 'user', body: s.sendBody, status: 202, response: s.messageSchema,
      summary: 'Send a text to a phone number (any common format) or a group id from one device; creates the chat if new',
      responses: { 403: 'Device viewer: reads only', 404: 'Device not visible', 409: 'clientId used in another chat' },
    },
    async ({ body, user, res }) => {
      const sent = await outbox.sendTo(user, body);
      if (!sent.created) res.status(200).json(sent.message);
      return sent.message;
    },
  );
  api.route(
    {
      method: 'post', path: '/api/messages/:id/retry', tags, auth: 'user', params: s.messageIdParams, status: 202, response: s.messageSchema,
      summary: 'Retry now: a failed message is sent again (attempts start over); one waiting for its next attempt is tried at once. Never sends twice: an attempt already out is left to finish',
      responses: { ...access, 404: 'Message not visible', 409: 'Already sent (or not ours)' },
    },
    ({ params, user }) => outbox.retry(user, params.id),
  );
}
