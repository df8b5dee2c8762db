import type { RunningSim } from '../../src/index.js';

export interface Answer { status: number; body: any; headers: Headers }

async function call(url: string, init: RequestInit): Promise<Answer> {
  const res = await fetch(url, init);
  const text = await res.text();
  let body: unknown = text;
  try { body = text ? JSON.parse(text) : null; } catch { /* not JSON */ }
  return { status: res.status, body, headers: res.headers };
}

export const waha = (sim: RunningSim, key = sim.apiKey) => ({
  get: (path: string) => call(`${sim.wahaUrl}${path}`, { headers: { 'X-Api-Key': key } }),
  post: (path: string, body?: unknown) =>
    call(`${sim.wahaUrl}${path}`, { method: 'POST', headers: { 'X-Api-Key': key, 'Content-Type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) }),
});

export const wuz = (sim: RunningSim, token: string) => ({
  get: (path: string) => call(`${sim.wuzapiUrl}${path}`, { headers: { Token: token } }),
  post: (path: string, body?: unknown) =>
    call(`${sim.wuzapiUrl}${path}`, { method: 'POST', headers: { Token: token, 'Content-Type': 'application/json' }, body: JSON.stringify(body ?? {}) }),
});

export const admin = (sim: RunningSim, token = sim.adminToken) => ({
  get: (path: string) => call(`${sim.wuzapiUrl}${path}`, { headers: { Authorization: token } }),
  post: (path: string, body?: unknown) =>
    call(`${sim.wuzapiUrl}${path}`, { method: 'POST', headers: { Authorization: token, 'Content-Type': 'application/json' }, body: JSON.stringify(body ?? {}) }),
  del: (path: string) => call(`${sim.wuzapiUrl}${path}`, { method: 'DELETE', headers: { Authorization: token } }),
});

export const control = (sim: RunningSim) => ({
  get: (path: string) => call(`${sim.url}/_sim${path}`, {}),
  post: (path: string, body?: unknown) =>
    call(`${sim.url}/_sim${path}`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body ?? {}) }),
});

export const parseJson = (raw: string) => JSON.parse(raw) as any;
