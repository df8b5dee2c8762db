import path from 'node:path';
import { fileTypeFromBuffer } from 'file-type';
import { AppError } from '../../platform/errors.js';

export type SendKind = 'image' | 'document' | 'audio';

export interface SniffedMedia {
  mimetype: string;
  /** How the engine sends it. */
  kind: SendKind;
  /** The message type stored and shown. */
  type: 'image' | 'document' | 'audio' | 'video';
  ext: string;
}

// What may be sent, decided from the bytes, never from the name or the declared type.
const ALLOWED: Record<string, { kind: SendKind; type: SniffedMedia['type'] }> = {
  'image/jpeg': { kind: 'image', type: 'image' },
  'image/png': { kind: 'image', type: 'image' },
  'image/webp': { kind: 'image', type: 'image' },
  'image/gif': { kind: 'image', type: 'image' },
  'application/pdf': { kind: 'document', type: 'document' },
  'application/rtf': { kind: 'document', type: 'document' },
  'application/vnd.openxmlformats-officedocument.wordprocessingml.document': { kind: 'document', type: 'document' },
  'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet': { kind: 'document', type: 'document' },
  'application/vnd.openxmlformats-officedocument.presentationml.presentation': { kind: 'document', type: 'document' },
  'application/vnd.oasis.opendocument.text': { kind: 'document', type: 'document' },
  'application/vnd.oasis.opendocument.spreadsheet': { kind: 'document', type: 'document' },
  'application/vnd.oasis.opendocument.presentation': { kind: 'document', type: 'document' },
  'application/msword': { kind: 'document', type: 'document' },
  'application/vnd.ms-excel': { kind: 'document', type: 'document' },
  'application/vnd.ms-powerpoint': { kind: 'document', type: 'document' },
  'audio/ogg': { kind: 'audio', type: 'audio' },
  'audio/opus': { kind: 'audio', type: 'audio' },
  'audio/mpeg': { kind: 'audio', type: 'audio' },
  'audio/mp4': { kind: 'audio', type: 'audio' },
  'audio/x-m4a': { kind: 'audio', type: 'audio' },
  // Videos go out as documents: the engines' video sending is not part of the gateway.
  'video/mp4': { kind: 'document', type: 'video' },
  'text/plain': { kind: 'document', type: 'document' },
  'text/csv': { kind: 'document', type: 'document' },
};

// Text has no magic bytes to sniff: a file named so whose bytes are all text (below) goes as a document.
const TEXT_BY_EXT: Record<string, { mime: string; ext: string }> = {
  '.txt': { mime: 'text/plain', ext: 'txt' },
  '.csv': { mime: 'text/csv', ext: 'csv' },
};
const utf8 = new TextDecoder('utf-8', { fatal: true });
// Control characters other than tab, line feed, form feed and carriage return: binary, not text.
const BINARY = /[\u0000-\u0008\u000b\u000e-\u001f\u007f]/;

/** UTF-8 text throughout (an executable or any binary fails this); an empty file is not text to send. */
function isText(data: Buffer): boolean {
  if (!data.length) return false;
  try {
    return !BINARY.test(utf8.decode(data));
  } catch {
    return false;
  }
}

// Old Office files share one container format (CFB); the name tells which, the container is checked.
const CFB_BY_EXT: Record<string, string> = { '.doc': 'application/msword', '.xls': 'application/vnd.ms-excel', '.ppt': 'application/vnd.ms-powerpoint' };

const unsupported = (what: string) =>
  new AppError('unsupported_media', 415, `This file type cannot be sent (${what}); images, PDF and office documents, .txt and .csv text, audio (ogg/opus, mp3, m4a) and mp4 video can`);

/** The real type of an upload from its bytes; refused (415) unless on the allowlist. */
export async function sniffMedia(data: Buffer, filename: string | null): Promise<SniffedMedia> {
  const ft = await fileTypeFromBuffer(data);
  const nameExt = path.extname(filename ?? '').toLowerCase();
  if (!ft) {
    const text = TEXT_BY_EXT[nameExt];
    if (text && isText(data)) return { mimetype: text.mime, kind: 'document', type: 'document', ext: text.ext };
    throw unsupported(text ? 'not UTF-8 text' : 'unrecognised content');
  }
  let mime = ft.mime.split(';')[0]!.trim();
  if (mime === 'application/x-cfb') {
    const byName = CFB_BY_EXT[nameExt];
    if (!byName) throw unsupported(ft.mime);
    mime = byName;
  }
  const rule = ALLOWED[mime];
  if (!rule) throw unsupported(ft.mime);
  return { mimetype: mime, kind: rule.kind, type: rule.type, ext: ft.ext };
}

/** A safe file name to show and send: no path, no control characters, the sniffed extension. */
export function safeFilename(name: string | null | undefined, ext: string): string {
  const base = path.basename(String(name ?? '')).replace(/[\u0000-\u001f\u007f"\\/]/g, '').trim().slice(0, 120);
  const stem = base.replace(/\.[^.]*$/, '') || 'file';
  return `${stem}.${ext}`;
}
