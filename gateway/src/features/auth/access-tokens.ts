import { createSecretKey, type KeyObject } from 'node:crypto';
import jwt from 'jsonwebtoken';
import { jwtVerifyAsync } from './jwt-verify.js';

export interface AccessClaims {
  sub: string;
  org: string;
  role: string;
}

/** Our own access tokens: HS256 only, with issuer, audience and expiry always checked. */
export class AccessTokens {
  // A KeyObject made once: given a string, jsonwebtoken rebuilds the key on every call (~1 ms each).
  private readonly key: KeyObject;

  constructor(private readonly opts: { secret: string; issuer: string; audience: string; ttlSeconds: number }) {
    this.key = createSecretKey(Buffer.from(opts.secret, 'utf8'));
  }

  sign(claims: AccessClaims): string {
    return jwt.sign({ org: claims.org, role: claims.role }, this.key, {
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
    return jwtVerifyAsync(token, this.key, {
      algorithms: ['HS256'],
      issuer: this.opts.issuer,
      audience: this.opts.audience,
    }) as Promise<AccessClaims>;
  }
}
