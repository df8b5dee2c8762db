/**
 * Whether an error means the database cannot be reached or cannot serve right now (as opposed to a
 * statement it refused): no connection could be had, a connection broke, the server is shutting down,
 * starting up or full. Such a request may simply be tried again later.
 */
const NETWORK = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH']);
// SQLSTATE: class 08 (connection exception), admin/crash shutdown, cannot connect now, too many connections.
const SQLSTATE = /^(08...|57P01|57P02|57P03|53300)$/;
const MESSAGES = /Connection terminated|Connection ended unexpectedly|Client has encountered a connection error|Timeout acquiring a connection|the database system is (starting up|shutting down|in recovery mode)|terminating connection/i;

export function isDatabaseUnavailable(err: unknown): boolean {
  for (let e = err as { code?: unknown; name?: unknown; message?: unknown; cause?: unknown } | undefined, depth = 0; e && depth < 4; e = e.cause as typeof e, depth++) {
    if (typeof e.code === 'string' && (NETWORK.has(e.code) || SQLSTATE.test(e.code))) return true;
    if (e.name === 'KnexTimeoutError') return true;
    if (typeof e.message === 'string' && MESSAGES.test(e.message)) return true;
  }
  return false;
}
