// The Dockerfiles build only what the repository has, run as non-root, keep dev dependencies out.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { imagePinProblem } from './support/images.js';
import { dockerIgnored, parseDockerfile, readIgnore, type Stage } from './support/dockerfile.js';
import { readYaml, rel, repoPath, repoRoot, walk, type Obj } from './support/repo.js';

const dockerfiles = walk(repoPath('docker'), (f) => /(^|[./])Dockerfile$/.test(path.basename(f)));
const rootPkg = JSON.parse(readFileSync(repoPath('package.json'), 'utf8'));
const workspaces: string[] = rootPkg.workspaces;
const pkgOf = (ws: string) => JSON.parse(readFileSync(repoPath(ws, 'package.json'), 'utf8'));

/** Problems with what a Dockerfile copies, given the repository (context = repo root). */
function copyProblems(stages: Stage[], ignore: string[], exists = (p: string) => existsSync(path.join(repoRoot, p))): string[] {
  const problems: string[] = [];
  stages.forEach((stage, i) => {
    for (const ins of stage.instructions.filter((x) => x.op === 'COPY' || x.op === 'ADD')) {
      const sources = ins.words.slice(0, -1);
      if (ins.op === 'ADD') problems.push(`ADD ${ins.args}: use COPY`);
      const from = ins.flags.from;
      if (!from) {
        for (const src of sources) {
          if (!exists(src)) problems.push(`COPY ${src}: not in the repository`);
          else if (dockerIgnored(src, ignore)) problems.push(`COPY ${src}: excluded by .dockerignore`);
        }
        continue;
      }
      const source = stages.slice(0, i).find((s) => s.name === from);
      if (!source) { problems.push(`COPY --from=${from}: no earlier stage of that name`); continue; }
      const built = source.instructions.filter((x) => x.op === 'RUN' && /npm run build/.test(x.args)).map((x) => x.args);
      for (const src of sources) {
        // A build output: <workspace>/dist, produced by a RUN of that workspace's build in the source stage.
        const m = /^\/app\/([^/]+)\/dist\/?$/.exec(src);
        const ws = m?.[1];
        if (!ws || !workspaces.includes(ws)) { problems.push(`COPY --from=${from} ${src}: not a workspace build output`); continue; }
        if (!pkgOf(ws).scripts?.build) problems.push(`COPY --from=${from} ${src}: ${ws} has no build script`);
        const builds = built.some((b) => new RegExp(`-w ${ws}\\b`).test(b) || (/npm run build\s*$/.test(b) && new RegExp(`-w ${ws}\\b`).test(rootPkg.scripts.build)));
        if (!builds) problems.push(`COPY --from=${from} ${src}: stage ${from} never builds ${ws}`);
        const copiedIn = source.instructions.some((x) => x.op === 'COPY' && !x.flags.from && x.words.slice(0, -1).some((s) => s.replace(/\/$/, '') === ws));
        if (!copiedIn) problems.push(`COPY --from=${from} ${src}: ${ws}'s sources are not copied into ${from}`);
      }
    }
  });
  return problems;
}

function runtimeProblems(stages: Stage[]): string[] {
  const problems: string[] = [];
  const final = stages.at(-1)!;
  const user = final.instructions.filter((x) => x.op === 'USER').at(-1)?.args;
  if (!user || /^(root|0)(:|$)/.test(user)) problems.push('final stage runs as root');
  if (!final.instructions.some((x) => x.op === 'HEALTHCHECK' && !/NONE/.test(x.args))) problems.push('no HEALTHCHECK');
  const installs = final.instructions.filter((x) => x.op === 'RUN' && /npm (ci|install)/.test(x.args));
  if (!installs.length || installs.some((x) => !/--omit=dev/.test(x.args))) problems.push('final stage installs dev dependencies');
  for (const s of stages) if (imagePinProblem(s.image) && !stages.some((o) => o.name === s.image)) problems.push(`FROM ${s.image}: ${imagePinProblem(s.image)}`);
  const cmd = final.instructions.filter((x) => x.op === 'CMD').at(-1);
  const target = cmd && /"node",\s*"([^"]+)"/.exec(cmd.args)?.[1];
  const ws = target?.split('/')[0];
  if (!target || !ws || !workspaces.includes(ws)) problems.push('CMD does not start a workspace entry point');
  else {
    const inWs = target.slice(ws.length + 1);
    const src = inWs.replace(/^dist\//, 'src/').replace(/\.js$/, '.ts');
    if (pkgOf(ws).main !== inWs && !existsSync(repoPath(ws, src))) problems.push(`CMD ${target}: neither ${ws}'s main nor built from ${ws}/${src}`);
    const copied = final.instructions.some((x) => x.op === 'COPY' && x.words.at(-1)!.replace(/\/$/, '') === `${ws}/dist`);
    if (!copied) problems.push(`CMD ${target}: ${ws}/dist is not copied into the final stage`);
  }
  return problems;
}

const compose = readYaml(repoPath('docker-compose.yml')) as Obj;

describe('Dockerfiles', () => {
  it('when docker/ is listed, then the gateway and the simulator have Dockerfiles that compose builds', () => {
    expect(dockerfiles.map(rel).sort()).toEqual(['docker/engine-sim.Dockerfile', 'docker/gateway.Dockerfile']);
    const built = Object.values<Obj>(compose.services).filter((s) => s.build).map((s) => s.build.dockerfile).sort();
    expect(built).toEqual(['docker/engine-sim.Dockerfile', 'docker/gateway.Dockerfile']);
  });

  it.each(dockerfiles.map(rel))('when %s is read, then every COPY source exists in the repository or is built by an earlier stage', (f) => {
    const file = repoPath(f);
    expect(copyProblems(parseDockerfile(readFileSync(file, 'utf8')), readIgnore(file))).toEqual([]);
  });

  it.each(dockerfiles.map(rel))('when %s is read, then its final stage is non-root, health-checked, production-only, pinned, and starts a built entry point', (f) => {
    expect(runtimeProblems(parseDockerfile(readFileSync(repoPath(f), 'utf8')))).toEqual([]);
  });

  it('when the gateway image is read, then it builds gateway and web, copies their outputs (incl. migrations) and checks /healthz', () => {
    const text = readFileSync(repoPath('docker/gateway.Dockerfile'), 'utf8');
    const stages = parseDockerfile(text);
    const final = stages.at(-1)!;
    const copied = final.instructions.filter((x) => x.flags.from).map((x) => x.words[0]);
    expect(copied).toEqual(expect.arrayContaining(['/app/gateway/dist', '/app/web/dist']));
    expect(stages[0]!.instructions.map((x) => x.words[0])).toEqual(expect.arrayContaining(['migrations/', 'seeds/']));
    expect(final.instructions.find((x) => x.op === 'HEALTHCHECK')!.args).toMatch(/\/healthz/);
    expect(final.instructions.find((x) => x.op === 'EXPOSE')!.args).toBe('8080');
  });

  it('when a Dockerfile copies a missing path, an ignored path, or an output no stage builds, then the check fails', () => {
    const broken = parseDockerfile(`FROM node:20.19.5-bookworm-slim AS build
COPY gateway/ gateway/
COPY does-not-exist/ x/
RUN npm run build -w gateway
FROM node:20.19.5-bookworm-slim
COPY --from=build /app/web/dist web/dist
COPY --from=nowhere /app/gateway/dist gateway/dist
COPY node_modules/ node_modules/
`);
    const problems = copyProblems(broken, ['**/node_modules'], (p) => p !== 'does-not-exist/').join('\n');
    expect(problems).toMatch(/does-not-exist\/: not in the repository/);
    expect(problems).toMatch(/never builds web/);
    expect(problems).toMatch(/no earlier stage/);
    expect(problems).toMatch(/node_modules\/: excluded/);
  });

  it('when the final stage runs as root with dev dependencies and a latest base, then the runtime check fails', () => {
    const broken = parseDockerfile(`FROM node:latest
RUN npm ci
CMD ["node", "gateway/dist/main.js"]
`);
    expect(runtimeProblems(broken)).toEqual(expect.arrayContaining([
      'final stage runs as root', 'no HEALTHCHECK', 'final stage installs dev dependencies', expect.stringMatching(/moving tag/),
      expect.stringMatching(/gateway\/dist is not copied/),
    ]));
  });
});
