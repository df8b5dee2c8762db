// A Dockerfile reader: stages and instructions (continuations joined, ARG defaults applied to FROM).
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';

export interface Instruction { op: string; args: string; flags: Record<string, string>; words: string[] }
export interface Stage { name: string | undefined; image: string; instructions: Instruction[] }

export function parseDockerfile(text: string): Stage[] {
  const lines = text.replace(/\\\r?\n/g, ' ').split(/\r?\n/).map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
  const args: Record<string, string> = {};
  const stages: Stage[] = [];
  for (const line of lines) {
    const m = /^(\w+)\s+(.*)$/.exec(line);
    if (!m) continue;
    const op = m[1]!.toUpperCase();
    const rest = m[2]!;
    const flags: Record<string, string> = {};
    const words = rest.startsWith('[') ? [] : rest.split(/\s+/);
    while (words[0]?.startsWith('--')) {
      const [k, v] = words.shift()!.slice(2).split('=');
      flags[k!] = v ?? 'true';
    }
    if (op === 'ARG' && !stages.length) {
      const [k, v] = rest.split('=');
      args[k!.trim()] = (v ?? '').trim();
    } else if (op === 'FROM') {
      const image = words[0]!.replace(/\$\{(\w+)\}|\$(\w+)/g, (_, a, b) => args[a ?? b] ?? '');
      stages.push({ name: /^as$/i.test(words[1] ?? '') ? words[2] : undefined, image, instructions: [] });
    } else if (stages.length) {
      stages.at(-1)!.instructions.push({ op, args: rest, flags, words });
    }
  }
  return stages;
}

// Whether .dockerignore patterns exclude a path (dir, globstar/dir, *.ext, negations).
export function dockerIgnored(relPath: string, patterns: string[]): boolean {
  const p = relPath.replace(/^\.\//, '').replace(/\/$/, '');
  let ignored = false;
  for (const raw of patterns) {
    const neg = raw.startsWith('!');
    if (toRegex((neg ? raw.slice(1) : raw).replace(/\/$/, '')).test(p)) ignored = !neg;
  }
  return ignored;
}

function toRegex(pattern: string): RegExp {
  const segs = pattern.split('/');
  let src = '';
  segs.forEach((seg, i) => {
    if (seg === '**') src += '(?:.*/)?';
    else src += seg.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]*').replace(/\?/g, '[^/]') + (i < segs.length - 1 ? '/' : '');
  });
  return new RegExp(`^${src}(?:/.*)?$`);
}

export function readIgnore(dockerfile: string): string[] {
  const f = `${dockerfile}.dockerignore`;
  const root = path.join(path.dirname(dockerfile), '..', '.dockerignore');
  const file = existsSync(f) ? f : existsSync(root) ? root : undefined;
  return file ? readFileSync(file, 'utf8').split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#')) : [];
}
