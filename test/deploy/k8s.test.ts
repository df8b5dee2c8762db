// Kubernetes manifests under k8s/: schemas, Traefik routing, the gateway's shape, non-root, pinned images, no secrets.
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { imagePinProblem } from './support/images.js';
import { k8sSchemaProblem } from './support/k8s-schema.js';
import { allContainers, podSpecOf, renderKustomization, type Rendered } from './support/kustomize.js';
import { clone, readEnvFile, readYamlDocs, rel, repoPath, repoRoot, walk, type Obj } from './support/repo.js';
import { crdProblems, rulePath } from './support/traefik.js';

const k8sDir = repoPath('k8s');
const yamlFiles = walk(k8sDir, (f) => /\.ya?ml$/.test(f));
const kustomizationDirs = yamlFiles.filter((f) => path.basename(f) === 'kustomization.yaml').map(path.dirname);
const overlayDirs = kustomizationDirs.filter((d) => d.includes(`${path.sep}overlays${path.sep}`));
const renders = new Map<string, Rendered>(kustomizationDirs.map((d) => [rel(d), renderKustomization(d)]));
const PLACEHOLDER = /REPLACE_ME|change-me/i;
const SECRET_KEY = /PASSWORD|SECRET|TOKEN|API_KEY|ACCESS_KEY|PRIVATE|DATABASE_URL/i;

// ---- checks (pure, so the tests below can also run them on broken copies) ----

function podSecurityProblems(o: Obj): string[] {
  const pod = podSpecOf(o);
  if (!pod) return [];
  const problems: string[] = [];
  for (const c of [...(pod.initContainers ?? []), ...(pod.containers ?? [])]) {
    const sc = { ...pod.securityContext, ...c.securityContext };
    const where = `${o.kind}/${o.metadata.name} ${c.name}`;
    if (sc.runAsNonRoot !== true) problems.push(`${where}: runAsNonRoot is not true`);
    if (sc.runAsUser === 0) problems.push(`${where}: runAsUser 0`);
    if (c.securityContext?.privileged) problems.push(`${where}: privileged`);
    if (c.securityContext?.allowPrivilegeEscalation !== false) problems.push(`${where}: allowPrivilegeEscalation not false`);
    if (!c.securityContext?.capabilities?.drop?.includes('ALL')) problems.push(`${where}: capabilities not dropped`);
    if (!c.resources?.requests || !c.resources?.limits?.memory) problems.push(`${where}: no resource requests / memory limit`);
  }
  return problems;
}

function secretValueProblems(objects: Obj[], source: string): string[] {
  const problems: string[] = [];
  for (const o of objects) {
    if (o.kind === 'Secret') {
      for (const [k, v] of Object.entries({ ...o.data, ...o.stringData })) {
        const text = o.data?.[k] !== undefined ? Buffer.from(String(v), 'base64').toString() : String(v);
        if (!PLACEHOLDER.test(text)) problems.push(`${source}: Secret ${o.metadata.name}.${k} holds a value, not a placeholder`);
      }
    }
    if (o.kind === 'ConfigMap') {
      for (const k of Object.keys(o.data ?? {})) if (SECRET_KEY.test(k)) problems.push(`${source}: ConfigMap ${o.metadata.name}.${k} looks like a secret`);
    }
  }
  return problems;
}

function gatewayProblems(objects: Obj[]): string[] {
  const problems: string[] = [];
  const d = objects.find((o) => o.kind === 'Deployment' && o.metadata.name === 'gateway');
  if (!d) return ['no gateway Deployment'];
  const c = d.spec.template.spec.containers.find((x: Obj) => x.name === 'gateway');
  if (!(d.spec.replicas >= 2)) problems.push('gateway: fewer than 2 replicas');
  if (c?.readinessProbe?.httpGet?.path !== '/readyz') problems.push('gateway: readiness probe is not /readyz');
  if (c?.livenessProbe?.httpGet?.path !== '/healthz') problems.push('gateway: liveness probe is not /healthz');
  if (c?.securityContext?.readOnlyRootFilesystem !== true) problems.push('gateway: root filesystem is writable');
  const labels = d.spec.template.metadata.labels;
  const selects = (sel: Obj | undefined) => !!sel && Object.entries(sel.matchLabels ?? {}).every(([k, v]) => labels[k] === v);
  if (!objects.some((o) => o.kind === 'PodDisruptionBudget' && selects(o.spec.selector))) problems.push('gateway: no PodDisruptionBudget');
  const hpa = objects.find((o) => o.kind === 'HorizontalPodAutoscaler' && o.spec.scaleTargetRef?.name === 'gateway');
  if (!hpa || hpa.apiVersion !== 'autoscaling/v2') problems.push('gateway: no autoscaling/v2 HorizontalPodAutoscaler');
  else if (!(hpa.spec.minReplicas >= 2)) problems.push('gateway: HPA minReplicas below 2');
  if (!objects.some((o) => o.kind === 'Service' && Object.entries(o.spec.selector ?? {}).every(([k, v]) => labels[k] === v) && o.metadata.name === 'gateway')) problems.push('gateway: no Service');
  return problems;
}

async function schemaProblems(objects: Obj[]): Promise<string[]> {
  return (await Promise.all(objects.map(k8sSchemaProblem))).filter((p): p is string => !!p);
}

const gatewayOf = (objects: Obj[]) => objects.find((o) => o.kind === 'Deployment' && o.metadata.name === 'gateway')!;
const configOf = (objects: Obj[]) => objects.find((o) => o.kind === 'ConfigMap' && o.metadata.name === 'gateway-config')!;

// ---- the manifests as committed ----

describe('k8s manifests', () => {
  it('when k8s/ is listed, then it has a base and a minikube overlay', () => {
    expect(kustomizationDirs.map(rel)).toEqual(expect.arrayContaining(['k8s/base', 'k8s/overlays/minikube']));
  });

  it('when every YAML document under k8s/ is read, then each is a kustomization, a patch one applies, or an object valid against the Kubernetes schemas', async () => {
    const patchFiles = new Set([...renders.values()].flatMap((r) => r.patchFiles));
    const problems: string[] = [];
    for (const file of yamlFiles) {
      if (path.basename(file) === 'kustomization.yaml' || patchFiles.has(file)) continue;
      const docs = readYamlDocs(file);
      if (!docs.length) problems.push(`${rel(file)}: empty`);
      problems.push(...(await schemaProblems(docs)).map((p) => `${rel(file)}: ${p}`));
    }
    expect(problems).toEqual([]);
  });

  it.each([...renders.keys()])('when %s is rendered, then every object validates against the Kubernetes and Traefik CRD schemas', async (dir) => {
    const { objects } = renders.get(dir)!;
    expect(objects.length).toBeGreaterThan(5);
    expect(await schemaProblems(objects)).toEqual([]);
    const ids = objects.map((o) => `${o.kind}/${o.metadata.name}`);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it.each([...renders.keys()])('when %s is rendered, then its Traefik middlewares and IngressRoute are v3-shaped and reach existing middlewares and Services', (dir) => {
    const { objects } = renders.get(dir)!;
    expect(crdProblems(objects)).toEqual([]);
    const paths = objects.filter((o) => o.kind === 'IngressRoute').flatMap((o) => o.spec.routes.map((r: Obj) => rulePath(r.match)));
    expect(paths).toEqual(expect.arrayContaining(['/', '/api', '/ws', '/webhooks']));
    const middlewares = objects.filter((o) => o.kind === 'Middleware').map((o) => Object.keys(o.spec)[0]);
    expect(middlewares).toEqual(expect.arrayContaining(['headers', 'rateLimit']));
  });

  it.each([...renders.keys()])('when %s is rendered, then the gateway runs 2+ replicas with /readyz and /healthz probes, a PDB and an autoscaling/v2 HPA', (dir) => {
    expect(gatewayProblems(renders.get(dir)!.objects)).toEqual([]);
  });

  it.each([...renders.keys()])('when %s is rendered, then every container runs as non-root, without privilege escalation, with resources', (dir) => {
    expect(renders.get(dir)!.objects.flatMap(podSecurityProblems)).toEqual([]);
  });

  it.each([...renders.keys()])('when %s is rendered, then every image is pinned to a version', (dir) => {
    const problems = allContainers(renders.get(dir)!.objects).map((c) => imagePinProblem(c.image)).filter(Boolean);
    expect(problems).toEqual([]);
  });

  it('when the committed files are read, then Secrets and secrets.env examples hold placeholders only, and no real secrets file is tracked', () => {
    const problems = yamlFiles.flatMap((f) => (path.basename(f) === 'kustomization.yaml' ? [] : secretValueProblems(readYamlDocs(f).filter((d) => !Array.isArray(d)), rel(f))));
    for (const f of walk(k8sDir, (x) => x.endsWith('.env.example'))) {
      for (const [k, v] of Object.entries(readEnvFile(f))) if (!PLACEHOLDER.test(v)) problems.push(`${rel(f)}: ${k} holds a value`);
    }
    expect(problems).toEqual([]);
    const tracked = execFileSync('git', ['ls-files', 'k8s'], { cwd: repoRoot, encoding: 'utf8' }).split('\n');
    expect(tracked.filter((f) => /(^|\/)secrets\.env$|\.env$/.test(f))).toEqual([]);
  });

  it.each(overlayDirs.map(rel))('when %s is rendered, then the Secret the gateway reads comes from its secretGenerator, not the base template', (dir) => {
    const k = readYamlDocs(path.join(repoRoot, dir, 'kustomization.yaml'))[0]!;
    expect(k.secretGenerator?.map((g: Obj) => [g.name, g.behavior])).toContainEqual(['whatsapp-secrets', 'replace']);
  });

  it.each([...renders.keys()])('when %s is rendered, then engines are given the gateway\'s in-cluster Service address for webhooks, not the public one', (dir) => {
    const { objects } = renders.get(dir)!;
    const cfg = configOf(objects).data;
    const hook = new URL(cfg.WEBHOOK_BASE_URL);
    const svc = hook.hostname.split('.')[0];
    expect(objects.some((o) => o.kind === 'Service' && o.metadata.name === svc)).toBe(true);
    expect(hook.hostname === svc || hook.hostname.endsWith('.svc.cluster.local')).toBe(true);
    expect(hook.host).not.toBe(new URL(cfg.PUBLIC_URL).host);
    expect(new URL(cfg.WAHA_URL).hostname.split('.')[0]).toBe('waha');
  });

  it('when the minikube overlay is rendered, then it serves whatsapp.local over the web entry point with PUBLIC_URL to match', () => {
    const { objects } = renders.get('k8s/overlays/minikube')!;
    const route = objects.find((o) => o.kind === 'IngressRoute')!;
    expect(route.spec.entryPoints).toEqual(['web']);
    expect(route.spec.routes.every((r: Obj) => r.match.includes('Host(`whatsapp.local`)'))).toBe(true);
    expect(configOf(objects).data.PUBLIC_URL).toBe('http://whatsapp.local');
    expect(gatewayOf(objects).spec.replicas).toBeGreaterThanOrEqual(2);
  });

  it('when PostgreSQL is rendered, then it is a StatefulSet with a volume claim behind a headless Service', () => {
    const { objects } = renders.get('k8s/base')!;
    const sts = objects.find((o) => o.kind === 'StatefulSet' && o.metadata.name === 'postgres')!;
    expect(sts.spec.volumeClaimTemplates?.length).toBe(1);
    expect(objects.find((o) => o.kind === 'Service' && o.metadata.name === sts.spec.serviceName)?.spec.clusterIP).toBe('None');
    const waha = objects.find((o) => o.kind === 'Deployment' && o.metadata.name === 'waha')!;
    expect(waha.spec.template.spec.volumes.some((v: Obj) => v.persistentVolumeClaim)).toBe(true);
    expect(waha.spec.template.spec.containers[0].env).toContainEqual({ name: 'WHATSAPP_DEFAULT_ENGINE', value: 'NOWEB' });
  });
});

// ---- the same checks catch broken copies ----

describe('k8s checks on broken copies', () => {
  const base = renders.get('k8s/base')!.objects;

  it('when a Deployment has a string containerPort, then schema validation fails', async () => {
    const broken = clone(gatewayOf(base));
    broken.spec.template.spec.containers[0].ports[0].containerPort = 'http';
    expect(await k8sSchemaProblem(broken)).toMatch(/containerPort/);
  });

  it('when a Middleware uses the v2 ipWhiteList or a route a v2 matcher, then the Traefik checks fail', () => {
    const objects = clone(base);
    objects.find((o) => o.kind === 'Middleware')!.spec = { ipWhiteList: { sourceRange: ['10.0.0.0/8'] } };
    objects.find((o) => o.kind === 'IngressRoute')!.spec.routes[0].match = 'Host(`a`, `b`) && PathPrefix(`/api`)';
    objects.find((o) => o.kind === 'IngressRoute')!.spec.routes[1].services[0].port = 9999;
    const problems = crdProblems(objects).join('\n');
    expect(problems).toMatch(/ipWhiteList/);
    expect(problems).toMatch(/Host takes 1/);
    expect(problems).toMatch(/no port 9999/);
  });

  it('when a pod may run as root, escalate or has no resources, then the security check fails', () => {
    const broken = clone(gatewayOf(base));
    delete broken.spec.template.spec.securityContext.runAsNonRoot;
    delete broken.spec.template.spec.containers[0].securityContext;
    delete broken.spec.template.spec.containers[0].resources;
    expect(podSecurityProblems(broken).join('\n')).toMatch(/runAsNonRoot[\s\S]*allowPrivilegeEscalation[\s\S]*resource/);
  });

  it('when the gateway loses a replica, its readiness probe, its PDB and HPA, then the gateway check fails', () => {
    const objects = clone(base).filter((o) => o.kind !== 'PodDisruptionBudget' && o.kind !== 'HorizontalPodAutoscaler');
    const g = gatewayOf(objects);
    g.spec.replicas = 1;
    g.spec.template.spec.containers[0].readinessProbe.httpGet.path = '/healthz';
    expect(gatewayProblems(objects)).toHaveLength(4);
  });

  it('when a Secret holds a real value or a ConfigMap a password, then the secrets check fails', () => {
    const objects = clone(base);
    objects.find((o) => o.kind === 'Secret')!.stringData.JWT_SECRET = 'f3a9c1d2e4b5a6978877665544332211';
    configOf(objects).data.DB_PASSWORD = 'x';
    expect(secretValueProblems(objects, 'copy')).toHaveLength(2);
  });

  it('when an image is untagged or latest, then the pin check fails', () => {
    expect(imagePinProblem('devlikeapro/waha')).toMatch(/untagged/);
    expect(imagePinProblem('devlikeapro/waha:latest')).toMatch(/moving/);
    expect(imagePinProblem('traefik:v3')).toBeNull(); // a major line with a version number is allowed…
    expect(imagePinProblem('postgres:16.10-bookworm')).toBeNull();
    expect(imagePinProblem('localhost:5000/gateway')).toMatch(/untagged/);
  });
});
