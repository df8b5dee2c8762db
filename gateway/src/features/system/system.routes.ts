import { z } from 'zod';
import type { Config } from '../../config/config.js';
import type { Api } from '../../platform/http/api.js';
import { ENGINE_KINDS, type EngineKind } from '../engines/engine.types.js';

const systemSchema = z.object({
  demo: z.boolean().describe('the engine is the built-in simulator or demo data is on'),
  simulatorUrl: z.string().nullable().describe('the simulator’s control page, when it is the engine'),
  engines: z.array(z.enum(ENGINE_KINDS)).describe('engines a device may use'),
  phoneRegion: z.string().describe('region national phone numbers are read in (PHONE_DEFAULT_REGION)'),
}).meta({ id: 'System' });

/** Public facts the web app shows before and after sign-in (the demo note with the simulator link). */
export function systemRoutes(api: Api, config: Config): void {
  // main.ts points WAHA_URL at the simulator when it runs, so its page lives under that URL.
  const info = {
    demo: config.simulator || config.demo,
    simulatorUrl: config.simulator && config.WAHA_URL ? `${config.WAHA_URL.replace(/\/$/, '')}/_sim` : null,
    engines: [config.WAHA_URL && 'waha', config.WUZAPI_URL && 'wuzapi'].filter((e): e is EngineKind => !!e),
    phoneRegion: config.PHONE_DEFAULT_REGION,
  };
  api.route({ method: 'get', path: '/api/system', summary: 'Demo mode, the simulator page and the configured engines', tags: ['system'], auth: 'public', response: systemSchema }, () => info);
}
