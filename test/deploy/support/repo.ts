// Reading the repository's deployment files: YAML documents, env files, directory walks.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments, parse } from 'yaml';

export const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
export const repoPath = (...parts: string[]) => path.join(repoRoot, ...parts);

export type Obj = Record<string, any>;

/** Every document of a YAML file (YAML 1.1 merge keys `<<` resolved, as compose does). */
export function readYamlDocs(file: string): Obj[] {
  const docs = parseAllDocuments(readFileSync(file, 'utf8'), { merge: true });
  return docs.map((d) => {
    if (d.errors.length) throw new Error(`${file}: ${d.errors.map((e) => e.message).join('; ')}`);
    return d.toJS({ maxAliasCount: 100 });
  }).filter((d) => d != null);
}

export function readYaml(file: string): any {
  return parse(readFileSync(file, 'utf8'), { merge: true });
}

/** KEY=value lines of a dotenv file (quotes stripped, comments and blanks skipped). */
export function readEnvFile(file: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const raw of readFileSync(file, 'utf8').split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const m = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(line);
    if (!m) throw new Error(`${file}: not KEY=value: ${line}`);
    out[m[1]!] = m[2]!.replace(/^'(.*)'$/, '$1').replace(/^"(.*)"$/, '$1');
  }
  return out;
}

export function walk(dir: string, keep: (file: string) => boolean): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).sort().flatMap((name) => {
    const full = path.join(dir, name);
    return statSync(full).isDirectory() ? walk(full, keep) : keep(full) ? [full] : [];
  });
}

export const clone = <T>(v: T): T => structuredClone(v);
export const rel = (file: string) => path.relative(repoRoot, file);
