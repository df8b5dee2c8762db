import { api } from '../../api/http';

export interface User {
  id: string;
  email: string;
  name: string;
  role: 'admin' | 'editor' | 'viewer';
}
export interface Session {
  accessToken: string;
  refreshToken: string;
  user: User;
}

const KEY = 'wa.session';

export const loadSession = (): Session | null => {
  try {
    return JSON.parse(localStorage.getItem(KEY) ?? 'null');
  } catch {
    return null;
  }
};
export const saveSession = (s: Session | null) => (s ? localStorage.setItem(KEY, JSON.stringify(s)) : localStorage.removeItem(KEY));

export const login = (email: string, password: string) => api<Session>('/api/auth/login', { method: 'POST', body: { email, password } });
export const refresh = (refreshToken: string) => api<Session>('/api/auth/refresh', { method: 'POST', body: { refreshToken } });
export const logout = (refreshToken: string) => api<void>('/api/auth/logout', { method: 'POST', body: { refreshToken } });
