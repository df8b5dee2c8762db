// Picks the adapter for a device's engine and names engine sessions; one adapter per engine kind.
import type { Logger } from 'pino';
import { AppError } from '../../platform/errors.js';
import type { EngineAdapter, EngineKind, EngineSession } from './engine.types.js';
import { WahaAdapter } from './waha/waha.adapter.js';
import { WuzapiAdapter } from './wuzapi/wuzapi.adapter.js';

export interface EnginesConfig {
  wahaUrl?: string;
  wahaApiKey: string;
  /** 'per-device': one WAHA, a session per device; 'default': one WAHA per device (its own URL), session "default". */
  wahaSessionMode: 'per-device' | 'default';
  wuzapiUrl?: string;
  wuzapiAdminToken: string;
  timeoutMs: number;
  retries: number;
  /** First retry delay (doubles each retry); tests shorten it. */
  retryBaseMs?: number;
}

/** Whether an engine call reached the engine: `true` on any answer (a refusal too), `false` on an outage. */
export type CallOutcomeListener = (s: EngineSession, reachable: boolean) => void;

export class EngineRegistry {
  private readonly adapters = new Map<EngineKind, EngineAdapter>();
  private readonly outcomeListeners = new Set<CallOutcomeListener>();

  /** Every adapter call on a session reports whether the engine was reached (for the device-state model). */
  onCallOutcome(listener: CallOutcomeListener): () => void {
    this.outcomeListeners.add(listener);
    return () => this.outcomeListeners.delete(listener);
  }

  constructor(
    private readonly cfg: EnginesConfig,
    private readonly logger?: Logger,
  ) {}

  /**
   * The adapter for an engine. Throws 400 engine_not_configured when the engine has no URL — unless
   * devices carry their own (WAHA in 'default' mode, or a session given with a baseUrl).
   */
  adapter(kind: EngineKind, s?: Pick<EngineSession, 'baseUrl'>): EngineAdapter {
    const ownUrl = !!s?.baseUrl || (kind === 'waha' && this.cfg.wahaSessionMode === 'default');
    if (!ownUrl && !this.urlOf(kind)) {
      throw new AppError('engine_not_configured', 400, `The ${kind} engine is not configured on this gateway`);
    }
    let a = this.adapters.get(kind);
    if (!a) {
      a = this.observed(this.build(kind));
      this.adapters.set(kind, a);
    }
    return a;
  }

  /** Engines with a configured URL. */
  configured(): EngineKind[] {
    return (['waha', 'wuzapi'] as const).filter((k) => !!this.urlOf(k));
  }

  /** The engine-side session name for a device: safe for WAHA's ^[a-zA-Z0-9_-]+$ and short (36 chars). */
  sessionNameFor(kind: EngineKind, deviceId: string): string {
    if (kind === 'waha' && this.cfg.wahaSessionMode === 'default') return 'default';
    return `dev_${deviceId.replace(/[^a-zA-Z0-9]/g, '').toLowerCase()}`;
  }

  /** The adapter, with each async call on a session reporting its outcome to the listeners. */
  private observed(adapter: EngineAdapter): EngineAdapter {
    const report = (s: EngineSession, reachable: boolean) => {
      for (const l of this.outcomeListeners) {
        try {
          l(s, reachable);
        } catch (err) {
          this.logger?.warn({ err }, 'engine call outcome listener failed');
        }
      }
    };
    // One wrapper per method, made on first use (webhooks call verify and parse on every delivery).
    const wrapped = new Map<PropertyKey, unknown>();
    return new Proxy(adapter, {
      get: (target, prop, receiver) => {
        const v = Reflect.get(target, prop, receiver);
        if (typeof v !== 'function') return v;
        const known = wrapped.get(prop);
        if (known) return known;
        const fn = (...args: unknown[]) => {
          const out = (v as (...a: unknown[]) => unknown).apply(target, args);
          const s = args[0] as EngineSession | undefined;
          if (out instanceof Promise && s && typeof s === 'object' && typeof s.session === 'string' && typeof s.engine === 'string') {
            out.then(
              () => report(s, true),
              (err) => {
                const code = err instanceof AppError ? err.code : null;
                if (code === 'engine_unreachable' || code === 'engine_timeout') report(s, false);
                else if (code === 'engine_rejected') report(s, true);
              },
            );
          }
          return out;
        };
        wrapped.set(prop, fn);
        return fn;
      },
    });
  }

  private urlOf(kind: EngineKind): string | undefined {
    return (kind === 'waha' ? this.cfg.wahaUrl : this.cfg.wuzapiUrl) || undefined;
  }

  private build(kind: EngineKind): EngineAdapter {
    const common = { timeoutMs: this.cfg.timeoutMs, retries: this.cfg.retries, retryBaseMs: this.cfg.retryBaseMs, logger: this.logger };
    return kind === 'waha'
      ? new WahaAdapter({ ...common, baseUrl: this.urlOf('waha'), apiKey: this.cfg.wahaApiKey })
      : new WuzapiAdapter({ ...common, baseUrl: this.urlOf('wuzapi'), adminToken: this.cfg.wuzapiAdminToken });
  }
}
