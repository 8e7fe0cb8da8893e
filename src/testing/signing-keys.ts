/**
 * The issuer's RSA keys: the one that signs, the ones the JWKS publishes, and a stranger key
 * that reuses the signing kid (so a verifier finds "its" key and must reject the signature,
 * instead of failing early on an unknown kid).
 */
import { createHmac, constants, KeyObject, randomUUID, sign, verify } from 'node:crypto';
import { exportJWK, generateKeyPair } from 'jose';
import type { StytchJwk } from './stytch-shapes.js';

export interface SigningKey {
  readonly kid: string;
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
  readonly jwk: StytchJwk;
}

export async function createSigningKey(kid = `jwk-test-${randomUUID()}`): Promise<SigningKey> {
  const pair = await generateKeyPair('RS256', { extractable: true });
  const exported = await exportJWK(pair.publicKey);
  if (typeof exported.n !== 'string' || typeof exported.e !== 'string') {
    throw new Error('jose exported an RSA public key without n/e');
  }
  return {
    kid,
    privateKey: KeyObject.from(pair.privateKey),
    publicKey: KeyObject.from(pair.publicKey),
    jwk: { alg: 'RS256', kty: 'RSA', use: 'sig', key_ops: ['verify'], kid, n: exported.n, e: exported.e },
  };
}

export class KeyRing {
  private published: SigningKey[];

  private constructor(
    private signer: SigningKey,
    private readonly stranger: SigningKey,
  ) {
    this.published = [signer];
  }

  static async create(): Promise<KeyRing> {
    const [signer, stranger] = await Promise.all([createSigningKey(), createSigningKey()]);
    return new KeyRing(signer, stranger);
  }

  get current(): SigningKey {
    return this.signer;
  }

  /** Newest first, as a rotating provider would list them. */
  get jwks(): StytchJwk[] {
    return this.published.map((key) => key.jwk);
  }

  find(kid: string): SigningKey | undefined {
    return this.published.find((key) => key.kid === kid);
  }

  async rotate(keepOld: boolean): Promise<SigningKey> {
    const next = await createSigningKey();
    this.published = keepOld ? [next, ...this.published] : [next];
    this.signer = next;
    return next;
  }

  /** A key the JWKS never holds, wearing the current signing kid. */
  wrongKey(): SigningKey {
    return { ...this.stranger, kid: this.signer.kid };
  }
}

const HASHES: Readonly<Record<string, string>> = { '256': 'sha256', '384': 'sha384', '512': 'sha512' };

/**
 * Signs a JWS signing input. Besides RS256, it can produce the tokens an attacker would try:
 * `none`, HS256/384/512 keyed with the public key's PEM (algorithm confusion), RS or PS with other hashes.
 */
export function signJws(alg: unknown, signingInput: string, key: SigningKey): Buffer {
  const data = Buffer.from(signingInput, 'ascii');
  if (alg === 'none') return Buffer.alloc(0);
  const match = typeof alg === 'string' ? /^(RS|PS|HS)(256|384|512)$/.exec(alg) : null;
  const family = match?.[1];
  const hash = match?.[2] === undefined ? undefined : HASHES[match[2]];
  if (family === undefined || hash === undefined) {
    throw new Error(`the test issuer cannot sign with alg ${String(alg)}`);
  }
  if (family === 'HS') {
    const pem = key.publicKey.export({ type: 'spki', format: 'pem' });
    return createHmac(hash, pem).update(data).digest();
  }
  if (family === 'PS') {
    return sign(hash, data, {
      key: key.privateKey,
      padding: constants.RSA_PKCS1_PSS_PADDING,
      saltLength: constants.RSA_PSS_SALTLEN_DIGEST,
    });
  }
  return sign(hash, data, key.privateKey);
}

export function verifyRs256(signingInput: string, signature: Buffer, key: SigningKey): boolean {
  return verify('sha256', Buffer.from(signingInput, 'ascii'), key.publicKey, signature);
}
