// Every variable the gateway's config requires (read from its zod schema) is provided by compose and k8s.
import path from 'node:path';
import { z } from 'zod';
import { describe, expect, it } from 'vitest';
import { configSchema, deploymentRequired } from '../../gateway/src/config/config.schema.js';
import { interpolateDeep } from './support/interpolate.js';
import { composeMissing, danglingRefs, k8sMissing, requiredVariables } from './support/config.js';
import { renderKustomization } from './support/kustomize.js';
import { clone, readEnvFile, readYaml, rel, repoPath, walk, type Obj } from './support/repo.js';

const required = requiredVariables(configSchema as any, deploymentRequired);
const compose = readYaml(repoPath('docker-compose.yml')) as Obj;
const exampleEnv = readEnvFile(repoPath('docker/compose.env.example'));
const kustomizations = walk(repoPath('k8s'), (f) => path.basename(f) === 'kustomization.yaml').map(path.dirname);
const gatewayContainer = (objects: Obj[]) =>
  objects.find((o) => o.kind === 'Deployment' && o.metadata.name === 'gateway')!.spec.template.spec.containers.find((c: Obj) => c.name === 'gateway');

describe('gateway configuration in deployments', () => {
  it('when the config schema is read, then the required set includes every deploymentRequired variable', () => {
    expect(required).toEqual(expect.arrayContaining([...deploymentRequired]));
    expect(required.length).toBeGreaterThan(0);
  });

  it('when compose\'s gateway service is read, then every required variable is set and not empty', () => {
    expect(composeMissing(required, compose.services.gateway, exampleEnv)).toEqual([]);
  });

  it('when compose\'s gateway environment is parsed by the config schema, then it is a valid production configuration', () => {
    const env = interpolateDeep(compose.services.gateway.environment as Record<string, string>, exampleEnv);
    const parsed = configSchema.safeParse(env);
    expect(parsed.success ? [] : parsed.error.issues).toEqual([]);
    expect(env.NODE_ENV).toBe('production');
  });

  it.each(kustomizations.map(rel))('when %s is rendered, then the gateway container receives every required variable, and every reference resolves', (dir) => {
    const { objects } = renderKustomization(repoPath(dir));
    const c = gatewayContainer(objects);
    expect(k8sMissing(required, c, objects)).toEqual([]);
    // The values themselves parse (secrets as their placeholders).
    const source = (kind: string, name: string) => objects.find((o) => o.kind === kind && o.metadata.name === name);
    const env: Record<string, string> = {};
    for (const f of c.envFrom ?? []) Object.assign(env, source('ConfigMap', f.configMapRef?.name)?.data, source('Secret', f.secretRef?.name)?.stringData);
    for (const e of c.env ?? []) {
      const ref = e.valueFrom?.secretKeyRef;
      env[e.name] = e.value ?? (ref ? source('Secret', ref.name)?.stringData?.[ref.key] : undefined);
    }
    const parsed = configSchema.safeParse(env);
    expect(parsed.success ? [] : parsed.error.issues).toEqual([]);
    expect(objects.flatMap((o) => (o.spec?.template?.spec?.containers ?? []).flatMap((x: Obj) => danglingRefs(x, objects)))).toEqual([]);
  });

  it('when a new required variable appears in the schema, then both compose and k8s are reported as missing it', () => {
    const grown = (configSchema as any).extend({ NEW_REQUIRED_SETTING: z.string() });
    const req = requiredVariables(grown, deploymentRequired);
    expect(req).toContain('NEW_REQUIRED_SETTING');
    expect(composeMissing(req, compose.services.gateway, exampleEnv)).toEqual(['NEW_REQUIRED_SETTING']);
    const { objects } = renderKustomization(repoPath('k8s/base'));
    expect(k8sMissing(req, gatewayContainer(objects), objects)).toEqual(['NEW_REQUIRED_SETTING']);
  });

  it('when a variable is dropped or emptied, or a secret key misspelled, then the checks report it', () => {
    const service = clone(compose.services.gateway);
    delete service.environment.JWT_SECRET;
    service.environment.PUBLIC_URL = '${UNSET_PUBLIC_URL:-}';
    expect(composeMissing(required, service, exampleEnv)).toEqual(['JWT_SECRET', 'PUBLIC_URL']);

    const { objects } = renderKustomization(repoPath('k8s/base'));
    const c = clone(gatewayContainer(objects));
    c.env = c.env.filter((e: Obj) => e.name !== 'DATABASE_URL');
    c.env.find((e: Obj) => e.name === 'JWT_SECRET').valueFrom.secretKeyRef.key = 'JWT_SECRETT';
    expect(k8sMissing(required, c, objects)).toEqual(['DATABASE_URL']);
    expect(danglingRefs(c, objects)).toEqual(['gateway: JWT_SECRET refers to missing key whatsapp-secrets.JWT_SECRETT']);
  });
});
