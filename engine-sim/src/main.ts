// Standalone simulator: `npm run sim`. Point a gateway at it with WAHA_URL / WUZAPI_URL as at a real engine.
import pino from 'pino';
import { SIM_LABEL, startSimulator } from './index.js';

const env = process.env;
const format = env.SIM_WUZAPI_WEBHOOK_FORMAT === 'json' ? 'json' : 'form';
const logger = pino({ level: env.SIM_LOG_LEVEL ?? 'info', base: { service: 'engine-sim' } });

const sim = await startSimulator({
  port: Number(env.SIM_PORT ?? 3100),
  host: env.SIM_HOST ?? '0.0.0.0',
  apiKey: env.SIM_API_KEY ?? 'sim-api-key',
  adminToken: env.SIM_ADMIN_TOKEN ?? 'sim-admin-token',
  wuzapiWebhookFormat: format,
  ...(env.SIM_PUBLIC_URL ? { publicUrl: env.SIM_PUBLIC_URL } : {}),
  ...(env.SIM_QR_ROTATE_MS ? { qrRotateMs: Number(env.SIM_QR_ROTATE_MS) } : {}),
  logger,
});

console.log(`${SIM_LABEL}
  URL:          ${sim.url}   (control page: ${sim.url}/_sim)
  WAHA URL:     ${sim.wahaUrl}   X-Api-Key: ${sim.apiKey}
  WuzAPI URL:   ${sim.wuzapiUrl}   admin Authorization: ${sim.adminToken}
  WuzAPI webhook format: ${format}`);

let stopping = false;
const stop = (signal: string) => {
  if (stopping) return;
  stopping = true;
  logger.info({ signal }, 'engine simulator stopping');
  void sim.close().then(() => process.exit(0));
  setTimeout(() => process.exit(1), 5000).unref();
};
process.on('SIGTERM', () => stop('SIGTERM'));
process.on('SIGINT', () => stop('SIGINT'));
