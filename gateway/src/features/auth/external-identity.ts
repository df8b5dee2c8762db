import jwksClient, { type JwksClient } from 'jwks-rsa';
import type jwt from 'jsonwebtoken';
import { jwtVerifyAsync } from './jwt-verify.js';

export interface ExternalClaims {
  sub: string;
  email?: string;
  name?: string;
}

/**
 * Tokens from an identity provider that owns authentication (an existing backend): verified with its
 * published JWKS, pinned to asymmetric algorithms so its public key can never be used as an HMAC secret.
 */
export class ExternalIdentity {
  private readonly client: JwksClient;

  constructor(private readonly opts: { jwksUrl: string; issuer: string; audience: string }) {
    this.client = jwksClient({ jwksUri: opts.jwksUrl, cache: true, cacheMaxAge: 10 * 60_000, rateLimit: true, jwksRequestsPerMinute: 10, timeout: 5_000 });
  }

  get issuer() {
    return this.opts.issuer;
  }

  async verify(token: string): Promise<ExternalClaims> {
    const getKey: jwt.GetPublicKeyOrSecret = (header, cb) => {
      this.client.getSigningKey(header.kid).then(
        (k) => cb(null, k.getPublicKey()),
        (e: Error) => cb(e),
      );
    };
    const p = await jwtVerifyAsync(token, getKey, {
      algorithms: ['RS256', 'RS384', 'RS512', 'ES256', 'ES384', 'PS256'],
      issuer: this.opts.issuer,
      audience: this.opts.audience,
    });
    if (typeof p.sub !== 'string' || !p.sub) throw new Error('token has no subject');
    return {
      sub: p.sub,
      email: typeof p.email === 'string' ? p.email : undefined,
      name: typeof p.name === 'string' ? p.name : undefined,
    };
  }
}
