// The variables a deployment must provide, read from the gateway's own config schema, and
// where compose and Kubernetes provide them.
import path from 'node:path';
import { existsSync } from 'node:fs';
import { interpolate } from './interpolate.js';
import { readEnvFile, repoRoot, type Obj } from './repo.js';

interface SchemaLike { shape: Record<string, { safeParse(v: unknown): { success: boolean } }> }

/** Keys whose schema rejects `undefined` (no default, not optional), plus `deploymentRequired`. */
export function requiredVariables(schema: SchemaLike, deploymentRequired: readonly string[]): string[] {
  const fromSchema = Object.entries(schema.shape).filter(([, s]) => !s.safeParse(undefined).success).map(([k]) => k);
  return [...new Set([...fromSchema, ...deploymentRequired])].sort();
}

/** The gateway service's environment in compose: `environment` (map or list) plus env_file keys. */
export function composeServiceEnv(service: Obj, composeDir = repoRoot): Record<string, string | null> {
  const env: Record<string, string | null> = {};
  const files = service.env_file == null ? [] : [service.env_file].flat();
  for (const f of files) {
    const p = path.resolve(composeDir, typeof f === 'string' ? f : f.path);
    if (existsSync(p)) Object.assign(env, readEnvFile(p));
  }
  const e = service.environment;
  if (Array.isArray(e)) {
    for (const item of e) {
      const i = String(item).indexOf('=');
      if (i < 0) env[String(item)] = null;
      else env[String(item).slice(0, i)] = String(item).slice(i + 1);
    }
  } else if (e) for (const [k, v] of Object.entries(e)) env[k] = v == null ? null : String(v);
  return env;
}

/** Required variables the compose service leaves out or empty (after interpolation with `dotenv`). */
export function composeMissing(required: string[], service: Obj, dotenv: Record<string, string>): string[] {
  const env = composeServiceEnv(service);
  return required.filter((k) => {
    const v = env[k];
    if (v == null) return true;
    try {
      return interpolate(v, dotenv).trim() === '';
    } catch {
      return false; // ${VAR:?} — compose refuses to start without it: provided or loudly missing
    }
  });
}

/** Required variables a container in the rendered objects does not receive (env or envFrom). */
export function k8sMissing(required: string[], container: Obj, objects: Obj[]): string[] {
  const provided = new Set<string>();
  for (const e of container.env ?? []) {
    if (e.value !== undefined && String(e.value).trim() !== '') provided.add(e.name);
    const ref = e.valueFrom?.secretKeyRef ?? e.valueFrom?.configMapKeyRef;
    if (ref && !ref.optional) provided.add(e.name);
  }
  for (const from of container.envFrom ?? []) {
    const ref = from.configMapRef ?? from.secretRef;
    const kind = from.configMapRef ? 'ConfigMap' : 'Secret';
    const src = objects.find((o) => o.kind === kind && o.metadata.name === ref?.name);
    for (const key of Object.keys({ ...src?.data, ...src?.stringData })) provided.add(`${from.prefix ?? ''}${key}`);
  }
  return required.filter((k) => !provided.has(k));
}

/** secretKeyRef / configMapKeyRef / envFrom references that point at nothing. */
export function danglingRefs(container: Obj, objects: Obj[]): string[] {
  const problems: string[] = [];
  const find = (kind: string, name: string) => objects.find((o) => o.kind === kind && o.metadata.name === name);
  for (const e of container.env ?? []) {
    for (const [field, kind] of [['secretKeyRef', 'Secret'], ['configMapKeyRef', 'ConfigMap']] as const) {
      const ref = e.valueFrom?.[field];
      if (!ref || ref.optional) continue;
      const src = find(kind, ref.name);
      if (!src) problems.push(`${container.name}: ${e.name} refers to missing ${kind} ${ref.name}`);
      else if (!(ref.key in { ...src.data, ...src.stringData })) problems.push(`${container.name}: ${e.name} refers to missing key ${ref.name}.${ref.key}`);
    }
  }
  for (const from of container.envFrom ?? []) {
    const ref = from.configMapRef ?? from.secretRef;
    if (!ref?.optional && !find(from.configMapRef ? 'ConfigMap' : 'Secret', ref?.name)) problems.push(`${container.name}: envFrom ${ref?.name} does not exist`);
  }
  return problems;
}
