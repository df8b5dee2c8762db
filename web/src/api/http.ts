export interface ApiError {
  code: string;
  message: string;
  details?: { field: string; message: string }[];
}

/** JSON over /api; a non-2xx answer throws the project's error shape. */
export async function api<T>(path: string, init: { method?: string; body?: unknown; token?: string } = {}): Promise<T> {
  const headers: Record<string, string> = {};
  if (init.body !== undefined) headers['content-type'] = 'application/json';
  if (init.token) headers.authorization = `Bearer ${init.token}`;
  const res = await fetch(path, { method: init.method ?? 'GET', headers, body: init.body === undefined ? undefined : JSON.stringify(init.body) });
  const data = res.status === 204 ? undefined : await res.json().catch(() => undefined);
  if (!res.ok) throw (data as { error?: ApiError })?.error ?? { code: 'http_' + res.status, message: res.statusText };
  return data as T;
}
