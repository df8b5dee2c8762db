import { Router, type Request, type RequestHandler, type Response } from 'express';
import { z, type ZodType } from 'zod';
import type { OpenAPIRegistry, RouteConfig } from '@asteasolutions/zod-to-openapi';
import { AppError } from '../errors.js';
import type { Actor, AuthUser, Role } from './auth-context.js';
import { assertCleanInput } from './input-guard.js';

type Method = 'get' | 'post' | 'put' | 'patch' | 'delete';

export interface RouteSpec<P extends ZodType, Q extends ZodType, B extends ZodType> {
  method: Method;
  path: string; // Express style: /api/users/:id
  summary: string;
  tags: string[];
  /** `public`, any signed-in user (`user`), or the roles allowed. */
  auth: 'public' | 'user' | readonly Role[];
  params?: P;
  query?: Q;
  body?: B;
  status?: number; // success status, 200 by default
  response?: ZodType;
  responses?: Record<number, string>; // extra documented answers
  before?: RequestHandler[]; // e.g. a rate limiter, run after auth and before validation
}

export interface Input<P, Q, B> {
  params: P;
  query: Q;
  body: B;
  user: AuthUser; // only meaningful when auth is not `public`
  /** The caller and this request's id, as services take them. */
  actor: Actor;
  req: Request;
  res: Response;
}

export interface AuthHooks {
  authenticate: RequestHandler;
  /**
   * Tests turn this on (test-app.ts): every success answer is checked against its route's response
   * schema, and a mismatch is a 500 `response_schema_mismatch` naming the fields, so the test fails.
   */
  validateResponses?: boolean;
}

/** The one error shape of every 4xx/5xx answer (AppError, platform/errors.ts). */
export const errorSchema = z
  .object({
    error: z
      .object({
        code: z.string().describe('stable, machine-readable: validation_failed, not_found, forbidden, …'),
        message: z.string(),
        details: z.unknown().optional().describe('validation_failed: [{in, field, message}]'),
      })
      .strict(),
  })
  .strict()
  .meta({ id: 'Error' });
/** An OpenAPI response body of the error shape, for routes documented outside `Api` (webhooks, passthrough, /ws). */
export const errorContent = { content: { 'application/json': { schema: errorSchema } } };

/**
 * Declares a route once: validation, auth, the OpenAPI entry and the handler come from one spec,
 * so no route can exist without its documentation or its checks.
 *
 * Every feature's routes go on this one router, mounted once: a request is matched against one list
 * of routes instead of entering and leaving a router per feature (which cost more than the match).
 */
export class Api {
  readonly router = Router();

  constructor(
    private readonly registry: OpenAPIRegistry,
    private readonly hooks: AuthHooks,
  ) {}

  route<P extends ZodType = ZodType, Q extends ZodType = ZodType, B extends ZodType = ZodType>(
    spec: RouteSpec<P, Q, B>,
    handler: (input: Input<z.output<P>, z.output<Q>, z.output<B>>) => Promise<unknown> | unknown,
  ): void {
    this.document(spec);
    const chain: RequestHandler[] = [];
    if (this.hooks.validateResponses) {
      // For errorShapeGuard: an error status this route does not document is a mismatch too.
      const documented = new Set(Object.keys(errorStatuses(spec)).map(Number));
      chain.push((_req, res, next) => {
        res.locals.documentedErrors = documented;
        next();
      });
    }
    if (spec.auth !== 'public') chain.push(this.hooks.authenticate);
    if (Array.isArray(spec.auth)) chain.push(requireRole(spec.auth));
    chain.push(...(spec.before ?? []));
    chain.push(async (req, res) => {
      const params = parse(spec.params, req.params, 'path') as z.output<P>;
      // Express parses the query string on each read of req.query: only when a schema wants it.
      const query = (spec.query ? parse(spec.query, req.query, 'query') : {}) as z.output<Q>;
      const body = parse(spec.body, req.body, 'body') as z.output<B>;
      const user = req.user as AuthUser;
      const result = await handler({ params, query, body, user, actor: { user, requestId: req.id ?? '' }, req, res });
      if (res.headersSent) return;
      if (this.hooks.validateResponses && result !== undefined && spec.response) checkResponse(spec, result);
      if (result === undefined) res.status(spec.status ?? 204).end();
      else sendJson(res, spec.status ?? 200, result);
    });
    this.router[spec.method](spec.path, ...chain);
  }

  private document(spec: RouteSpec<ZodType, ZodType, ZodType>) {
    const responses: RouteConfig['responses'] = {};
    const ok = spec.status ?? 200;
    responses[ok] = spec.response
      ? { description: 'Success', content: { 'application/json': { schema: spec.response } } }
      : { description: 'Success' };
    for (const [status, description] of Object.entries(errorStatuses(spec))) {
      responses[Number(status)] = { description, ...errorContent };
    }
    this.registry.registerPath({
      method: spec.method,
      path: spec.path.replace(/:(\w+)/g, '{$1}'),
      summary: spec.summary,
      tags: spec.tags,
      security: spec.auth === 'public' ? [] : [{ bearerAuth: [] }],
      request: {
        ...(spec.params ? { params: spec.params as never } : {}),
        ...(spec.query ? { query: spec.query as never } : {}),
        ...(spec.body ? { body: { content: { 'application/json': { schema: spec.body } } } } : {}),
      },
      responses,
    });
  }
}

/**
 * Every error a route may answer, in the error shape: what any route may meet (bad input, the
 * database away, a fault of ours), what its auth, path and body imply, and its own (`responses`).
 */
function errorStatuses(spec: RouteSpec<ZodType, ZodType, ZodType>): Record<number, string> {
  const errors: Record<number, string> = { 400: 'Invalid input (the error names the fields)' };
  if (spec.auth !== 'public') {
    errors[401] = 'Not signed in or token invalid';
    errors[403] = Array.isArray(spec.auth) ? 'Role not allowed' : 'Not allowed (your role or your relation to the object)';
  }
  if (spec.path.includes(':')) errors[404] = 'Not found (or not visible to you)';
  if (spec.body) {
    errors[413] = 'Body larger than the limit';
    errors[415] = 'Body encoding not supported';
  }
  Object.assign(errors, spec.responses ?? {});
  errors[500] = 'A fault of ours (the request id is in X-Request-Id)';
  errors[503] = 'The database is unreachable: retry after Retry-After seconds';
  return errors;
}

/**
 * Tests (with `validateResponses`): every 4xx/5xx answer must be the error shape, and an `Api`
 * route's status one it documents; otherwise the answer becomes a 500 `error_schema_mismatch`
 * naming what was wrong, so the test fails. Engine answers the passthrough relays are not ours.
 */
export const errorShapeGuard: RequestHandler = (req, res, next) => {
  if (req.path.startsWith('/api/whatsapp/')) return next();
  const end = res.end.bind(res) as (...a: unknown[]) => Response;
  res.end = ((chunk?: unknown, ...rest: unknown[]) => {
    if (res.statusCode < 400 || res.headersSent || req.method === 'HEAD') return end(chunk, ...rest);
    const problem = errorShapeProblem(res, chunk);
    if (!problem) return end(chunk, ...rest);
    const text = JSON.stringify({ error: { code: 'error_schema_mismatch', message: `${req.method} ${req.path} answered ${res.statusCode}${problem}` } });
    res.statusCode = 500;
    res.setHeader('Content-Type', 'application/json; charset=utf-8');
    res.setHeader('Content-Length', Buffer.byteLength(text));
    return end(text);
  }) as Response['end'];
  next();
};

function errorShapeProblem(res: Response, chunk: unknown): string | undefined {
  const documented = res.locals.documentedErrors as Set<number> | undefined;
  if (documented && !documented.has(res.statusCode)) return `, a status its route does not document (${[...documented].join(', ')})`;
  let body: unknown;
  try {
    body = JSON.parse(Buffer.isBuffer(chunk) ? chunk.toString('utf8') : String(chunk ?? ''));
  } catch {
    return ' without a JSON body';
  }
  const r = errorSchema.safeParse(body);
  return r.success ? undefined : ` outside the error shape: ${r.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')}`;
}

/** The answer as it goes on the wire (JSON: dates as strings, undefined dropped) against the route's schema. */
function checkResponse(spec: RouteSpec<ZodType, ZodType, ZodType>, result: unknown) {
  const r = spec.response!.safeParse(JSON.parse(JSON.stringify(result)));
  if (r.success) return;
  throw new AppError(
    'response_schema_mismatch',
    500,
    `${spec.method.toUpperCase()} ${spec.path} answered outside its schema: ${r.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')}`,
    r.error.issues.map((i) => ({ in: 'response', field: i.path.join('.'), message: i.message })),
  );
}

/** The answer as JSON, written directly: Express's res.json → res.send re-derives type and charset on every answer. */
function sendJson(res: Response, status: number, value: unknown) {
  const text = JSON.stringify(value);
  res.statusCode = status;
  res.setHeader('Content-Type', 'application/json; charset=utf-8');
  res.setHeader('Content-Length', Buffer.byteLength(text));
  res.end(text);
}

function parse(schema: ZodType | undefined, value: unknown, where: 'path' | 'query' | 'body') {
  if (!schema) return value;
  // Whatever filled it (JSON, a multipart form, the router), no declared input holds text the database cannot store.
  assertCleanInput(value, where);
  const r = schema.safeParse(value ?? (where === 'body' ? undefined : {}));
  if (r.success) return r.data;
  throw new AppError(
    'validation_failed',
    400,
    `Invalid ${where}: ${r.error.issues.map((i) => i.path.join('.') || where).join(', ')}`,
    r.error.issues.map((i) => ({ in: where, field: i.path.join('.'), message: i.message })),
  );
}

export function requireRole(roles: readonly Role[]): RequestHandler {
  return (req, _res, next) => {
    if (!req.user) return next(new AppError('unauthorized', 401, 'Authentication required'));
    if (!roles.includes(req.user.role)) return next(new AppError('forbidden', 403, `This needs the role ${roles.join(' or ')}`));
    next();
  };
}
