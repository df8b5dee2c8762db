import type { RequestHandler } from 'express';
import client from 'prom-client';
import type { Db } from './db/knex.js';

export interface Metrics {
  registry: client.Registry;
  middleware: RequestHandler;
  /** For handlers outside Express (the webhook edge): record one request. */
  observe(method: string, route: string, status: number, seconds: number): void;
  handler: RequestHandler;
}

/** One registry per app instance, so tests can run several apps in one process. */
export function createMetrics(db: Db): Metrics {
  const registry = new client.Registry();
  client.collectDefaultMetrics({ register: registry });

  const duration = new client.Histogram({
    name: 'http_request_duration_seconds',
    help: 'HTTP request duration by route template and status',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [registry],
  });

  // tarn's pool counters, read at scrape time.
  const pool = () => (db.client as { pool?: { numUsed(): number; numFree(): number; numPendingAcquires(): number } }).pool;
  const gauge = (name: string, help: string, read: () => number) =>
    new client.Gauge({
      name,
      help,
      registers: [registry],
      collect() {
        this.set(read());
      },
    });
  gauge('db_pool_connections_used', 'Database connections in use', () => pool()?.numUsed() ?? 0);
  gauge('db_pool_connections_free', 'Idle database connections', () => pool()?.numFree() ?? 0);
  gauge('db_pool_pending_acquires', 'Requests waiting for a database connection', () => pool()?.numPendingAcquires() ?? 0);

  // One child per method, route and status, looked up by a string key: prom-client would otherwise
  // hash the label object on every observation. Routes are templates, so the set stays small.
  const children = new Map<string, client.Histogram.Internal<'method' | 'route' | 'status'>>();
  const observe = (method: string, route: string, status: number, seconds: number) => {
    const key = `${method} ${status} ${route}`;
    let child = children.get(key);
    if (!child) children.set(key, (child = duration.labels(method, route, String(status))));
    child.observe(seconds);
  };

  const middleware: RequestHandler = (req, res, next) => {
    const started = performance.now();
    res.on('finish', () => {
      const route = req.route?.path ? `${req.baseUrl}${req.route.path}` : 'unmatched';
      observe(req.method, route, res.statusCode, (performance.now() - started) / 1000);
    });
    next();
  };

  const handler: RequestHandler = async (_req, res) => {
    res.set('Content-Type', registry.contentType).send(await registry.metrics());
  };

  return { registry, middleware, handler, observe };
}
