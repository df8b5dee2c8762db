/** A passthrough path split into decoded segments and its query, for the engines' proxy rules. */
export interface ProxyPath {
  segments: string[];
  query: URLSearchParams;
  /** A segment that could escape the route (dot segments, encoded slashes): refused. */
  unsafe: boolean;
}

export function splitProxyPath(path: string): ProxyPath {
  const q = path.indexOf('?');
  const rawPath = q >= 0 ? path.slice(0, q) : path;
  const query = new URLSearchParams(q >= 0 ? path.slice(q + 1) : '');
  let unsafe = false;
  const segments = rawPath.split('/').filter((s) => s !== '').map((s) => {
    let d = s;
    try {
      d = decodeURIComponent(s);
    } catch {
      unsafe = true;
    }
    if (d === '.' || d === '..' || d.includes('/') || d.includes('\\')) unsafe = true;
    return d;
  });
  return { segments, query, unsafe };
}
