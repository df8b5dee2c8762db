import jwt from 'jsonwebtoken';
import { jwtVerifyAsync } from './jwt-verify.js';

export interface AccessClaims {
  sub: string;
  org: string;
  role: string;
}

/** Our own access tokens: HS256 only, with issuer, audience and expiry always checked. */
export class AccessTokens {
  constructor(private readonly opts: { secret: string; issuer: string; audience: string; ttlSeconds: number }) {}

  sign(claims: AccessClaims): string {
    return jwt.sign({ org: claims.org, role: claims.role }, this.opts.secret, {
      algorithm: 'HS256',
      subject: claims.sub,
      issuer: this.opts.issuer,
      audience: this.opts.audience,
      expiresIn: this.opts.ttlSeconds,
    });
  }

  get ttlSeconds() {
    return this.opts.ttlSeconds;
  }

  verify(token: string): Promise<AccessClaims> {
    return jwtVerifyAsync(token, this.opts.secret, {
      algorithms: ['HS256'],
      issuer: this.opts.issuer,
      audience: this.opts.audience,
    }) as Promise<AccessClaims>;
  }
}
