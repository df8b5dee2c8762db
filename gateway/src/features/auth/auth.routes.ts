import type { Api } from '../../platform/http/api.js';
import type { AuthService } from './auth.service.js';
import type { LoginLimiter } from './login-rate-limit.js';
import * as s from './auth.schemas.js';

const tags = ['auth'];

export function authRoutes(api: Api, auth: AuthService, loginLimits: LoginLimiter): void {
  api.route(
    { method: 'post', path: '/api/auth/register', summary: 'Create an organization and its first admin', tags, auth: 'public', body: s.registerBody, status: 201, response: s.sessionSchema, responses: { 409: 'Email taken' } },
    ({ body, actor }) => auth.register(body, actor.requestId ?? ''),
  );
  api.route(
    { method: 'post', path: '/api/auth/login', summary: 'Sign in with email and password', tags, auth: 'public', body: s.loginBody, response: s.sessionSchema, responses: { 401: 'Wrong email or password', 429: 'Too many failed attempts from this address' } },
    ({ body, actor, req }) => loginLimits.attempt(body.email, req.ip ?? '', () => auth.login(body.email, body.password, actor.requestId)),
  );
  api.route(
    { method: 'post', path: '/api/auth/refresh', summary: 'Trade a refresh token for a new pair (each works once)', tags, auth: 'public', body: s.refreshBody, response: s.sessionSchema, responses: { 401: 'Invalid, expired or reused' } },
    ({ body }) => auth.refresh(body.refreshToken),
  );
  api.route(
    { method: 'post', path: '/api/auth/logout', summary: 'End this session, or every session of its owner', tags, auth: 'public', body: s.logoutBody, status: 204 },
    ({ body }) => auth.logout(body.refreshToken, body.everywhere),
  );
  api.route(
    { method: 'get', path: '/api/auth/me', summary: 'Who am I', tags, auth: 'user', response: s.meSchema },
    ({ user }) => user,
  );
}
