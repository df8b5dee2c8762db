// Validation of Kubernetes objects against the schemas shipped by kubernetes-models
// (core API) and @kubernetes-models/traefik (Traefik's CRDs, traefik.io/v1alpha1).
import type { Obj } from './repo.js';

const modules: Record<string, () => Promise<Record<string, any>>> = {
  v1: () => import('kubernetes-models/v1'),
  'apps/v1': () => import('kubernetes-models/apps/v1'),
  'batch/v1': () => import('kubernetes-models/batch/v1'),
  'policy/v1': () => import('kubernetes-models/policy/v1'),
  'autoscaling/v2': () => import('kubernetes-models/autoscaling/v2'),
  'networking.k8s.io/v1': () => import('kubernetes-models/networking.k8s.io/v1'),
  'traefik.io/v1alpha1': () => import('@kubernetes-models/traefik/traefik.io/v1alpha1'),
};

/** Null when the object validates against its kind's schema; otherwise the reasons. */
export async function k8sSchemaProblem(o: Obj): Promise<string | null> {
  const load = modules[o?.apiVersion];
  if (!load) return `${o?.kind}/${o?.metadata?.name}: apiVersion ${o?.apiVersion} has no schema here`;
  const Model = (await load())[o.kind];
  if (typeof Model !== 'function') return `${o.apiVersion} ${o.kind}: unknown kind`;
  try {
    new Model(o).validate();
    return null;
  } catch (e) {
    return `${o.kind}/${o.metadata?.name}: ${(e as Error).message}`;
  }
}
