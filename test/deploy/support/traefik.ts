// Shape checks for Traefik v3 configuration. The CRD schemas on npm for Node 20 are the v2 ones,
// which accept unknown fields, so v3 specifics (middleware names, rule syntax) are checked here.
import type { Obj } from './repo.js';

export const V3_MIDDLEWARES = new Set([
  'addPrefix', 'basicAuth', 'buffering', 'chain', 'circuitBreaker', 'compress', 'contentType', 'digestAuth',
  'errors', 'forwardAuth', 'grpcWeb', 'headers', 'ipAllowList', 'inFlightReq', 'passTLSClientCert', 'plugin',
  'rateLimit', 'redirectRegex', 'redirectScheme', 'replacePath', 'replacePathRegex', 'retry', 'stripPrefix',
  'stripPrefixRegex',
]);
// Matcher → allowed numbers of backtick arguments in v3 rule syntax.
const MATCHERS: Record<string, number[]> = {
  Host: [1], HostRegexp: [1], Path: [1], PathPrefix: [1], PathRegexp: [1], Method: [1], ClientIP: [1],
  Header: [2], HeaderRegexp: [2], Query: [1, 2], QueryRegexp: [2],
};

export function middlewareProblems(name: string, spec: Obj): string[] {
  const keys = Object.keys(spec ?? {});
  if (keys.length !== 1) return [`middleware ${name}: exactly one middleware type expected, got ${keys.join(', ') || 'none'}`];
  const [k] = keys;
  if (!V3_MIDDLEWARES.has(k!)) return [`middleware ${name}: "${k}" is not a Traefik v3 middleware`];
  const problems: string[] = [];
  const m = spec[k!];
  if (k === 'rateLimit' && !(Number.isInteger(m.average) && m.average > 0)) problems.push(`middleware ${name}: rateLimit.average must be a positive integer`);
  if (k === 'ipAllowList' && !(Array.isArray(m.sourceRange) && m.sourceRange.length)) problems.push(`middleware ${name}: ipAllowList.sourceRange is empty`);
  if (k === 'basicAuth' && !(m.users?.length || m.usersFile || m.secret)) problems.push(`middleware ${name}: basicAuth has no users`);
  return problems;
}

export function ruleProblems(rule: unknown): string[] {
  if (typeof rule !== 'string' || !rule.trim()) return ['empty rule'];
  const problems: string[] = [];
  const calls = [...rule.matchAll(/([A-Za-z]+)\(([^)]*)\)/g)];
  if (!calls.length) problems.push(`rule "${rule}": no matcher`);
  for (const [, fn, args] of calls) {
    const allowed = MATCHERS[fn!];
    const n = (args!.match(/`[^`]*`/g) ?? []).length;
    if (!allowed) problems.push(`rule "${rule}": ${fn} is not a Traefik v3 matcher`);
    else if (!allowed.includes(n) || args!.replace(/`[^`]*`/g, '').replace(/[\s,]/g, '') !== '') {
      problems.push(`rule "${rule}": ${fn} takes ${allowed.join(' or ')} backtick argument(s) in v3`);
    }
  }
  const rest = rule.replace(/([A-Za-z]+)\(([^)]*)\)/g, '').replace(/&&|\|\||!|\(|\)|\s/g, '');
  if (rest) problems.push(`rule "${rule}": unexpected "${rest}"`);
  return problems;
}

/** The path a rule routes (first Path/PathPrefix argument), for coverage checks. */
export const rulePath = (rule: string) => /Path(?:Prefix)?\(`([^`]*)`\)/.exec(rule)?.[1];

/** Problems in a file-provider dynamic config, given the static config it runs under. */
export function dynamicConfigProblems(dynamic: Obj, staticConfig: Obj): string[] {
  const problems: string[] = [];
  const http = dynamic?.http ?? {};
  const entryPoints = new Set(Object.keys(staticConfig?.entryPoints ?? {}));
  const middlewares = http.middlewares ?? {};
  const services = http.services ?? {};
  for (const [name, spec] of Object.entries<Obj>(middlewares)) problems.push(...middlewareProblems(name, spec));
  for (const [name, s] of Object.entries<Obj>(services)) {
    const servers = s?.loadBalancer?.servers;
    if (!Array.isArray(servers) || !servers.length || servers.some((x: Obj) => !/^https?:\/\/[^/]+/.test(x?.url))) {
      problems.push(`service ${name}: loadBalancer.servers need URLs`);
    }
  }
  const routers = http.routers ?? {};
  if (!Object.keys(routers).length) problems.push('no routers');
  for (const [name, r] of Object.entries<Obj>(routers)) {
    problems.push(...ruleProblems(r.rule).map((p) => `router ${name}: ${p}`));
    if (!services[r.service]) problems.push(`router ${name}: unknown service ${r.service}`);
    for (const m of r.middlewares ?? []) if (!middlewares[m]) problems.push(`router ${name}: unknown middleware ${m}`);
    for (const e of r.entryPoints ?? []) if (!entryPoints.has(e)) problems.push(`router ${name}: unknown entryPoint ${e}`);
    if (!r.entryPoints?.length) problems.push(`router ${name}: no entryPoints`);
  }
  return problems;
}

/** Problems in rendered Kubernetes objects' Traefik CRDs: middlewares, routes, backend services. */
export function crdProblems(objects: Obj[]): string[] {
  const problems: string[] = [];
  const mws = new Set(objects.filter((o) => o.kind === 'Middleware').map((o) => o.metadata.name));
  for (const o of objects) {
    if (String(o.apiVersion).startsWith('traefik.containo.us')) problems.push(`${o.kind}/${o.metadata.name}: traefik.containo.us is gone in Traefik v3; use traefik.io/v1alpha1`);
    if (o.kind === 'Middleware') problems.push(...middlewareProblems(o.metadata.name, o.spec));
    if (o.kind !== 'IngressRoute') continue;
    const where = `IngressRoute/${o.metadata.name}`;
    if (!o.spec?.entryPoints?.length) problems.push(`${where}: no entryPoints`);
    for (const r of o.spec?.routes ?? []) {
      if (r.kind !== 'Rule') problems.push(`${where}: route kind must be Rule`);
      problems.push(...ruleProblems(r.match).map((p) => `${where}: ${p}`));
      for (const m of r.middlewares ?? []) if (!m.namespace && !mws.has(m.name)) problems.push(`${where}: unknown middleware ${m.name}`);
      for (const s of r.services ?? []) {
        const svc = objects.find((x) => x.kind === 'Service' && x.metadata.name === s.name);
        if (!svc) problems.push(`${where}: unknown Service ${s.name}`);
        else if (!svc.spec.ports?.some((p: Obj) => p.port === s.port || p.name === s.port)) problems.push(`${where}: Service ${s.name} has no port ${s.port}`);
      }
    }
  }
  return problems;
}
