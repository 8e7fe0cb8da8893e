/**
 * An in-process test issuer: the same Stytch-shaped session JWTs as `createTestIssuer`, but
 * no server. Its keys reach the library through the `jwks.keys` option of `createAuth`
 * instead of an HTTP fetch:
 *
 * ```ts
 * const issuer = await createLocalTestIssuer();
 * const auth = createAuth({ stytch: issuer.authOptions, jwks: issuer.jwksOptions });
 * ```
 *
 * There is no `sessions/authenticate` endpoint: opaque session tokens and the renewal of
 * expired JWTs need `createTestIssuer()`.
 */
import type { webcrypto } from 'node:crypto';
import { createLocalJWKSet } from 'jose';
import { KeyRing, type SigningKey } from './signing-keys.js';
import { mintSessionJwt, sessionJwtFactories, type SessionJwtInput } from './session-jwt.js';
import { mintM2mToken, type M2mTokenInput } from './m2m-token.js';
import type { StytchJwk } from './stytch-shapes.js';
import { DEFAULT_TEST_PROJECT_ID } from './issuer.js';

/**
 * A jose-compatible key resolver (the shape `jwtVerify` accepts as its key argument). Declared
 * here rather than as `ReturnType<typeof createLocalJWKSet>` so that the CommonJS declaration
 * file never imports the ESM-only `jose` types (TS1479 under node16 CJS).
 */
export type LocalKeyResolver = (
  protectedHeader?: { alg?: string; kid?: string; [parameter: string]: unknown },
  token?: unknown,
) => Promise<webcrypto.CryptoKey>;

export interface LocalTestIssuerOptions {
  /** Default `project-test-00000000-0000-0000-0000-000000000000`. */
  projectId?: string;
}

/** The key set the way `createAuth({ jwks: { keys } })` reads it: called on each key refresh. */
export type LocalJwksProvider = () => { keys: StytchJwk[] };

export interface LocalTestIssuer {
  readonly projectId: string;
  /** The `iss` of minted tokens: `stytch.com/<projectId>`. */
  readonly issuer: string;
  /** The kid of the current signing key. */
  readonly kid: string;
  /** For `createAuth({ stytch: issuer.authOptions, … })`. No secret: opaque tokens are refused. */
  readonly authOptions: { projectId: string };
  /** For `createAuth({ jwks: issuer.jwksOptions, … })`: the keys, read in process. */
  readonly jwksOptions: { keys: LocalJwksProvider };

  /** A valid Stytch-shaped session JWT; fields left out get fresh defaults. */
  sessionJwt(input?: SessionJwtInput): string;
  /** Expired ten minutes ago (issued fifteen minutes ago). */
  expiredSessionJwt(input?: SessionJwtInput): string;
  /** `nbf` ten minutes in the future; `iat` is now. */
  notYetValidSessionJwt(input?: SessionJwtInput): string;
  /** Signed by a key the key set does not hold, under the current signing kid. */
  wrongKeySessionJwt(input?: SessionJwtInput): string;
  /** A Stytch M2M access token (client-credentials JWT) signed by the current key. */
  m2mToken(input?: M2mTokenInput): string;
  /** A new key signs from now on; the old ones stay published if `keepOld` (default true). Returns the new kid. */
  rotateKeys(options?: { keepOld?: boolean }): Promise<string>;
  /** The published keys (a copy). */
  jwks(): StytchJwk[];
  /** A jose key resolver over the published keys, to verify tokens without the library. */
  keySet(): LocalKeyResolver;
}

/**
 * Stytch-shaped tokens signed by keys handed to `createAuth` in process (`jwks.keys`): no port,
 * no HTTP, nothing to close. No `sessions/authenticate`: opaque tokens need `createTestIssuer()`.
 *
 * @example
 * const issuer = await createLocalTestIssuer();
 * const auth = createAuth({ stytch: issuer.authOptions, jwks: issuer.jwksOptions, mongo: { db } });
 * await auth.authenticate(issuer.sessionJwt({ roles: ['owner'] }));
 */
export async function createLocalTestIssuer(options: LocalTestIssuerOptions = {}): Promise<LocalTestIssuer> {
  const projectId = options.projectId ?? DEFAULT_TEST_PROJECT_ID;
  const issuer = `stytch.com/${projectId}`;
  const keys = await KeyRing.create();
  const mint = (input: SessionJwtInput, key: SigningKey = keys.current): string =>
    mintSessionJwt(input, { projectId, issuer, key }).jwt;
  const jwks = (): StytchJwk[] => structuredClone(keys.jwks);

  return {
    projectId,
    issuer,
    get kid() {
      return keys.current.kid;
    },
    authOptions: { projectId },
    jwksOptions: { keys: () => ({ keys: jwks() }) },
    ...sessionJwtFactories(mint, () => keys.wrongKey()),
    m2mToken: (input = {}) => mintM2mToken(input, { projectId, issuer, key: keys.current }),
    rotateKeys: async ({ keepOld = true } = {}) => (await keys.rotate(keepOld)).kid,
    jwks,
    keySet: () =>
      createLocalJWKSet({ keys: jwks() as unknown as Parameters<typeof createLocalJWKSet>[0]['keys'] }) as unknown as LocalKeyResolver,
  };
}
