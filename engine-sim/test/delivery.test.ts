import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { defaultFaults } from '../src/state/store.js';
import { WebhookDeliverer } from '../src/webhooks/delivery.js';

describe('webhook deliverer', () => {
  it('when 30 deliveries are in flight at once, then all arrive and Node warns of no listener leak (each listens to the one stop signal)', async () => {
    const warnings: string[] = [];
    const onWarning = (w: Error) => warnings.push(`${w.name}: ${w.message}`);
    process.on('warning', onWarning);
    // A receiver slow enough that every delivery is in flight together.
    const srv = http.createServer((req, res) => (req.resume(), setTimeout(() => res.end('{}'), 150)));
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(srv.address() as AddressInfo).port}/hook`;
    const d = new WebhookDeliverer(defaultFaults, () => ({ attempts: 1, delayMs: 10 }), pino({ level: 'silent' }));
    try {
      for (let i = 0; i < 30; i++) d.send({ url, body: `{"n":${i}}`, headers: () => ({ 'content-type': 'application/json' }), label: { engine: 'waha', session: 's', event: 'message' } });
      expect(d.inFlight).toBe(30);
      // Waits for the deliveries themselves (bounded), not for a time that a busy machine may overrun.
      await d.idle(30_000);
      expect(d.log.filter((x) => x.ok)).toHaveLength(30);
      expect(warnings.filter((w) => w.startsWith('MaxListenersExceededWarning'))).toEqual([]);
    } finally {
      process.off('warning', onWarning);
      await d.close();
      srv.close();
    }
  });
});
