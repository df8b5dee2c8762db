const EXT: Record<string, string> = {
  'image/jpeg': 'jpeg', 'image/png': 'png', 'image/webp': 'webp', 'image/gif': 'gif',
  'audio/ogg': 'oga', 'audio/ogg; codecs=opus': 'oga', 'audio/mpeg': 'mp3', 'video/mp4': 'mp4',
  'application/pdf': 'pdf', 'text/plain': 'txt',
};

/** File extension for stored media: from the file name when it has one, else from the mimetype. */
export function extensionFor(mimetype: string, filename: string | null): string {
  const fromName = filename?.match(/\.([A-Za-z0-9]{1,8})$/)?.[1];
  return (fromName ?? EXT[mimetype.toLowerCase()] ?? mimetype.split('/')[1]?.replace(/[^a-z0-9]/gi, '') ?? 'bin').toLowerCase();
}
