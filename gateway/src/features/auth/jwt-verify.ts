import jwt from 'jsonwebtoken';

export function jwtVerifyAsync(
  token: string,
  key: jwt.Secret | jwt.GetPublicKeyOrSecret,
  options: jwt.VerifyOptions & { algorithms: jwt.Algorithm[] },
): Promise<jwt.JwtPayload> {
  return new Promise((resolve, reject) => {
    jwt.verify(token, key, { ...options, complete: false }, (err, payload) => {
      if (err || !payload || typeof payload === 'string') reject(err ?? new Error('token payload is not an object'));
      else resolve(payload as jwt.JwtPayload);
    });
  });
}
