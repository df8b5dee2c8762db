// A small kustomize renderer for the features k8s/ uses (no kustomize binary ships on npm).
// Unsupported fields throw, so a kustomization using more than this is noticed, not ignored.
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { clone, readEnvFile, readYaml, readYamlDocs, type Obj } from './repo.js';

const SUPPORTED = new Set([
  'apiVersion', 'kind', 'namespace', 'labels', 'resources', 'patches',
  'configMapGenerator', 'secretGenerator', 'generatorOptions', 'images',
]);
const CLUSTER_SCOPED = new Set(['Namespace', 'PersistentVolume', 'StorageClass', 'ClusterRole', 'ClusterRoleBinding', 'CustomResourceDefinition']);

export interface Rendered {
  objects: Obj[];
  /** Files this render read as patches (partial objects, validated only once applied). */
  patchFiles: string[];
  /** Env files that were missing and read from their committed `.example` instead. */
  substituted: string[];
}

export const idOf = (o: Obj) => `${o.kind}/${o.metadata?.name}`;

export function renderKustomization(dir: string): Rendered {
  const file = path.join(dir, 'kustomization.yaml');
  const k = readYaml(file) as Obj;
  const unknown = Object.keys(k).filter((key) => !SUPPORTED.has(key));
  if (unknown.length) throw new Error(`${file}: unsupported fields ${unknown.join(', ')}`);
  if (k.kind !== 'Kustomization' || k.apiVersion !== 'kustomize.config.k8s.io/v1beta1') throw new Error(`${file}: not a Kustomization`);

  const out: Rendered = { objects: [], patchFiles: [], substituted: [] };
  for (const r of k.resources ?? []) {
    const p = path.resolve(dir, r);
    if (!existsSync(p)) throw new Error(`${file}: resource ${r} does not exist`);
    if (statSync(p).isDirectory()) {
      const sub = renderKustomization(p);
      out.objects.push(...sub.objects);
      out.patchFiles.push(...sub.patchFiles);
      out.substituted.push(...sub.substituted);
    } else out.objects.push(...readYamlDocs(p));
  }

  for (const [gen, kind] of [['configMapGenerator', 'ConfigMap'], ['secretGenerator', 'Secret']] as const) {
    for (const g of k[gen] ?? []) {
      const data: Record<string, string> = {};
      for (const envs of g.envs ?? []) {
        let p = path.resolve(dir, envs);
        if (!existsSync(p) && existsSync(`${p}.example`)) {
          out.substituted.push(p);
          p = `${p}.example`;
        }
        if (!existsSync(p)) throw new Error(`${file}: env file ${envs} does not exist`);
        Object.assign(data, readEnvFile(p));
      }
      for (const lit of g.literals ?? []) {
        const i = String(lit).indexOf('=');
        data[String(lit).slice(0, i)] = String(lit).slice(i + 1);
      }
      const obj: Obj = { apiVersion: 'v1', kind, metadata: { name: g.name }, ...(kind === 'Secret' ? { type: g.type ?? 'Opaque', stringData: data } : { data }) };
      const at = out.objects.findIndex((o) => idOf(o) === idOf(obj));
      const behavior = g.behavior ?? 'create';
      if (behavior === 'create') {
        if (at >= 0) throw new Error(`${file}: ${idOf(obj)} already exists (use behavior merge/replace)`);
        out.objects.push(obj);
      } else {
        if (at < 0) throw new Error(`${file}: ${idOf(obj)} to ${behavior} does not exist`);
        const key = kind === 'Secret' ? 'stringData' : 'data';
        if (behavior === 'merge') out.objects[at]![key] = { ...out.objects[at]![key], ...data };
        else out.objects[at] = { ...obj, metadata: { ...out.objects[at]!.metadata, name: g.name } };
      }
    }
  }

  for (const p of k.patches ?? []) {
    const pfile = path.resolve(dir, p.path);
    out.patchFiles.push(pfile);
    const content = readYaml(pfile);
    if (Array.isArray(content)) {
      const targets = out.objects.filter((o) => matchesTarget(o, p.target));
      if (!p.target || !targets.length) throw new Error(`${pfile}: JSON 6902 patch matches nothing`);
      targets.forEach((t) => applyJson6902(t, content, pfile));
    } else {
      const targets = out.objects.filter((o) => (p.target ? matchesTarget(o, p.target) : idOf(o) === idOf(content)));
      if (!targets.length) throw new Error(`${pfile}: patch target ${idOf(content)} not found`);
      for (const t of targets) {
        const merged = strategicMerge(t, { ...content, metadata: { ...content.metadata, name: t.metadata.name } });
        Object.assign(t, merged);
      }
    }
  }

  for (const img of k.images ?? []) {
    for (const c of allContainers(out.objects)) {
      const [name, tag] = splitImage(c.image);
      if (name === img.name) c.image = `${img.newName ?? name}:${img.newTag ?? tag}`;
    }
  }
  for (const l of k.labels ?? []) {
    for (const o of out.objects) {
      o.metadata.labels = { ...o.metadata.labels, ...l.pairs };
      if (l.includeSelectors) throw new Error(`${file}: labels.includeSelectors is not supported here`);
    }
  }
  if (k.namespace) for (const o of out.objects) if (!CLUSTER_SCOPED.has(o.kind)) o.metadata.namespace = k.namespace;
  return out;
}

function matchesTarget(o: Obj, t: Obj | undefined): boolean {
  if (!t) return false;
  const [group, version] = String(o.apiVersion).includes('/') ? String(o.apiVersion).split('/') : ['', o.apiVersion];
  return (!t.kind || t.kind === o.kind) && (!t.name || t.name === o.metadata?.name)
    && (t.group === undefined || t.group === group) && (!t.version || t.version === version);
}

function splitImage(ref: string): [string, string | undefined] {
  const i = ref.lastIndexOf(':');
  return i > ref.lastIndexOf('/') ? [ref.slice(0, i), ref.slice(i + 1)] : [ref, undefined];
}

export function allContainers(objects: Obj[]): Obj[] {
  return objects.flatMap((o) => {
    const pod = podSpecOf(o);
    return pod ? [...(pod.initContainers ?? []), ...(pod.containers ?? [])] : [];
  });
}

export function podSpecOf(o: Obj): Obj | undefined {
  if (o.kind === 'Pod') return o.spec;
  if (o.kind === 'CronJob') return o.spec?.jobTemplate?.spec?.template?.spec;
  return o.spec?.template?.spec;
}

/** Strategic merge: maps merge; lists of objects merge by name (or mountPath/containerPort); other lists replace; null deletes. */
export function strategicMerge(base: any, patch: any): any {
  if (patch === null) return undefined;
  if (Array.isArray(patch)) {
    if (!Array.isArray(base)) return clone(patch);
    const key = ['name', 'mountPath', 'containerPort'].find((k) => patch.every((p) => p && typeof p === 'object' && k in p) && base.every((b: any) => b && typeof b === 'object' && k in b));
    if (!key) return clone(patch);
    const out = base.map((b: any) => clone(b));
    for (const p of patch) {
      const i = out.findIndex((b: any) => b[key] === p[key]);
      if (i >= 0) out[i] = strategicMerge(out[i], p);
      else out.push(clone(p));
    }
    return out;
  }
  if (patch && typeof patch === 'object') {
    const out: Obj = base && typeof base === 'object' && !Array.isArray(base) ? clone(base) : {};
    for (const [k, v] of Object.entries(patch)) {
      const merged = strategicMerge(out[k], v);
      if (merged === undefined) delete out[k];
      else out[k] = merged;
    }
    return out;
  }
  return patch;
}

/** RFC 6902 add / replace / remove / test on a JSON pointer. */
export function applyJson6902(target: Obj, ops: Obj[], source = 'patch'): void {
  for (const op of ops) {
    const parts = String(op.path).split('/').slice(1).map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
    const last = parts.pop()!;
    let parent: any = target;
    for (const p of parts) {
      parent = parent?.[Array.isArray(parent) ? Number(p) : p];
      if (parent === undefined) throw new Error(`${source}: path ${op.path} does not exist`);
    }
    const key: any = Array.isArray(parent) ? (last === '-' ? parent.length : Number(last)) : last;
    const exists = Array.isArray(parent) ? key < parent.length : key in parent;
    switch (op.op) {
      case 'add':
        if (Array.isArray(parent)) parent.splice(key, 0, clone(op.value));
        else parent[key] = clone(op.value);
        break;
      case 'replace':
        if (!exists) throw new Error(`${source}: replace of missing ${op.path}`);
        parent[key] = clone(op.value);
        break;
      case 'remove':
        if (!exists) throw new Error(`${source}: remove of missing ${op.path}`);
        if (Array.isArray(parent)) parent.splice(key, 1);
        else delete parent[key];
        break;
      case 'test':
        if (JSON.stringify(parent[key]) !== JSON.stringify(op.value)) throw new Error(`${source}: test failed at ${op.path}`);
        break;
      default:
        throw new Error(`${source}: unsupported op ${op.op}`);
    }
  }
}
