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

  const middleware: RequestHandler = (req, res, next) => {
    const end = duration.startTimer();
    res.on('finish', () => {
      const route = req.route?.path ? `${req.baseUrl}${req.route.path}` : 'unmatched';
      end({ method: req.method, route, status: String(res.statusCode) });
    });
    next();
  };

  const handler: RequestHandler = async (_req, res) => {
    res.set('Content-Type', registry.contentType).send(await registry.metrics());
  };

  const observe = (method: string, route: string, status: number, seconds: number) =>
    duration.observe({ method, route, status: String(status) }, seconds);

  return { registry, middleware, handler, observe };
}
