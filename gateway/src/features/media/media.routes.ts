import { pipeline } from 'node:stream/promises';
import { z } from 'zod';
import type { Api } from '../../platform/http/api.js';
import type { MediaService } from './media.service.js';

export function mediaRoutes(api: Api, media: MediaService): void {
  api.route(
    {
      method: 'get', path: '/api/media/:id', summary: 'The bytes of a stored media file (to whoever may see a chat of a message using it)', tags: ['media'], auth: 'user',
      params: z.object({ id: z.string().max(64) }), responses: { 404: 'No such media, or not visible to the caller' },
    },
    async ({ params, user, res }) => {
      const { row, stream, size } = await media.open(user, params.id);
      const name = encodeURIComponent(row.filename ?? row.id);
      res.status(200).set({
        'Content-Type': row.mimetype,
        'Content-Length': String(size),
        'X-Content-Type-Options': 'nosniff',
        // Images may show inline; anything else is a download, so it can never run as a page.
        'Content-Disposition': `${row.mimetype.startsWith('image/') ? 'inline' : 'attachment'}; filename*=UTF-8''${name}`,
        'Cache-Control': 'private, max-age=86400, immutable',
        'Content-Security-Policy': "default-src 'none'; sandbox",
      });
      await pipeline(stream, res);
    },
  );
}
