import { createSecretKey, type KeyObject } from 'node:crypto';
import jwt from 'jsonwebtoken';
import { LRUCache } from 'lru-cache';
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
  // Tokens already verified, until their expiry: the same string carries the same signature, so
  // every request after a tab's first skips the HMAC and the claim checks.
  private readonly verified = new LRUCache<string, AccessClaims>({ max: 10_000, ttlAutopurge: false });

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

  /** The claims of a token this process has already verified and that has not expired; no crypto. */
  known(token: string): AccessClaims | undefined {
    const known = this.verified.get(token);
    return known && { ...known };
  }

  async verify(token: string): Promise<AccessClaims> {
    const known = this.known(token);
    if (known) return known;
    const payload = await jwtVerifyAsync(token, this.key, {
      algorithms: ['HS256'],
      issuer: this.opts.issuer,
      audience: this.opts.audience,
    });
    const claims = payload as AccessClaims;
    const ttl = typeof payload.exp === 'number' ? payload.exp * 1000 - Date.now() : 0;
    if (ttl > 0) this.verified.set(token, claims, { ttl });
    return claims;
  }
}
