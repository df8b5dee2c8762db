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

const errorSchema = z.object({
  error: z.object({ code: z.string(), message: z.string(), details: z.unknown().optional() }),
});

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
    const errors: Record<number, string> = { 400: 'Invalid input', ...(spec.responses ?? {}) };
    if (spec.auth !== 'public') errors[401] = 'Not signed in or token invalid';
    if (Array.isArray(spec.auth)) errors[403] = 'Role not allowed';
    for (const [status, description] of Object.entries(errors)) {
      responses[Number(status)] = { description, content: { 'application/json': { schema: errorSchema } } };
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
