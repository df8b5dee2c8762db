import { useEffect, useState } from 'react';
import { authFetch } from '../../api/http';

/**
 * An <img> cannot send the bearer token, so media are fetched with it and shown from an object URL,
 * released when no longer shown.
 */
export function useMediaUrl(mediaId: string | null | undefined, enabled = true): { url: string | null; error: boolean } {
  const [state, setState] = useState<{ url: string | null; error: boolean }>({ url: null, error: false });
  useEffect(() => {
    if (!mediaId || !enabled) return;
    let url: string | null = null;
    let live = true;
    authFetch(`/api/media/${encodeURIComponent(mediaId)}`)
      .then(async (r) => {
        if (!r.ok) throw new Error(String(r.status));
        const blob = await r.blob();
        if (!live) return;
        url = URL.createObjectURL(blob);
        setState({ url, error: false });
      })
      .catch(() => live && setState({ url: null, error: true }));
    return () => {
      live = false;
      if (url) URL.revokeObjectURL(url);
    };
  }, [mediaId, enabled]);
  return state;
}

/** Saves a document through the same authorized fetch. */
export async function downloadMedia(mediaId: string, filename: string) {
  const r = await authFetch(`/api/media/${encodeURIComponent(mediaId)}`);
  if (!r.ok) throw new Error(`HTTP ${r.status}`);
  const url = URL.createObjectURL(await r.blob());
  const a = document.createElement('a');
  a.href = url;
  a.download = filename;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
