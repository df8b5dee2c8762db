import jwt from 'jsonwebtoken';

/** Clocks of replicas and identity providers differ a little: an `iat` this far ahead still counts as now. */
export const IAT_LEEWAY_SECONDS = 5;

/** `typ` values of an access token (RFC 7519 §5.1, RFC 9068 §2.1); compared case-insensitively, `application/` optional. */
const ACCEPTED_TYP = new Set(['jwt', 'at+jwt']);

/**
 * Verifies signature, algorithm, issuer, audience and expiry (jsonwebtoken), then what it leaves open:
 * an expiry is required, `iat` may not lie in the future, no `crit` extension is understood (so any is
 * refused, RFC 7515 §4.1.11), and a `typ` must say JWT or at+jwt (another type is not an access token).
 */
export function jwtVerifyAsync(
  token: string,
  key: jwt.Secret | jwt.GetPublicKeyOrSecret,
  options: jwt.VerifyOptions & { algorithms: jwt.Algorithm[] },
): Promise<jwt.JwtPayload> {
  return new Promise((resolve, reject) => {
    jwt.verify(token, key, { ...options, complete: true }, (err, decoded) => {
      if (err || !decoded) return reject(err ?? new Error('token cannot be verified'));
      const { header, payload } = decoded as jwt.Jwt;
      if (!payload || typeof payload === 'string') return reject(new Error('token payload is not an object'));
      const problem = claimProblem(header as jwt.JwtHeader & { crit?: unknown }, payload);
      if (problem) return reject(new jwt.JsonWebTokenError(problem));
      resolve(payload);
    });
  });
}

function claimProblem(header: jwt.JwtHeader & { crit?: unknown }, payload: jwt.JwtPayload): string | undefined {
  if (header.crit !== undefined) return 'token has a crit header';
  if (header.typ !== undefined) {
    const typ = typeof header.typ === 'string' ? header.typ.toLowerCase().replace(/^application\//, '') : '';
    if (!ACCEPTED_TYP.has(typ)) return 'token typ is not JWT or at+jwt';
  }
  if (typeof payload.exp !== 'number') return 'token has no expiry';
  if (payload.iat !== undefined && (typeof payload.iat !== 'number' || payload.iat > Date.now() / 1000 + IAT_LEEWAY_SECONDS))
    return 'token issued in the future';
  return undefined;
}
