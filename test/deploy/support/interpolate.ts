// Compose-style variable interpolation: ${VAR}, ${VAR:-default}, ${VAR-default}, ${VAR:?err}, ${VAR?err}, $$.
export function interpolate(value: string, env: Record<string, string | undefined>): string {
  return value.replace(/\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?])((?:[^{}]|\{[^{}]*\})*))?\}|\$([A-Za-z_][A-Za-z0-9_]*)/g,
    (whole, name?: string, op?: string, arg?: string, bare?: string) => {
      if (whole === '$$') return '$';
      const key = (name ?? bare)!;
      const v = env[key];
      const unset = v === undefined || (op?.startsWith(':') && v === '');
      if (!op) return v ?? '';
      if (op.endsWith('-')) return unset ? interpolate(arg ?? '', env) : v!;
      if (unset) throw new Error(`${key}: ${arg || 'required'}`);
      return v!;
    });
}

/** Deep interpolation of every string in a compose document (keys untouched). */
export function interpolateDeep<T>(doc: T, env: Record<string, string | undefined>): T {
  if (typeof doc === 'string') return interpolate(doc, env) as T;
  if (Array.isArray(doc)) return doc.map((d) => interpolateDeep(d, env)) as T;
  if (doc && typeof doc === 'object') {
    return Object.fromEntries(Object.entries(doc).map(([k, v]) => [k, interpolateDeep(v, env)])) as T;
  }
  return doc;
}

/** Names of the variables a string refers to. */
export function referencedVars(value: string): string[] {
  return [...value.matchAll(/\$\{([A-Za-z_][A-Za-z0-9_]*)/g)].map((m) => m[1]!);
}
