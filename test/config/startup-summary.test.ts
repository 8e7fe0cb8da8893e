import { describe, expect, it } from 'vitest';
import { resolveOptions } from '../../src/config/resolve-options.js';
import { startupSummary } from '../../src/config/startup-summary.js';

const PROJECT = 'project-live-11111111-2222-3333-4444-555555555555';
const SECRET = 'secret-live-Do-Not-Log-Me-0123456789';
const PASSWORD = 'MongoPassw0rd-Do-Not-Log';

describe('startupSummary: one INFO line describing the configuration', () => {
  it('names project, environment, MongoDB host and database, opaque tokens and caches, and no secret', () => {
    const resolved = resolveOptions({
      stytch: { projectId: PROJECT, secret: SECRET },
      mongo: { uri: `mongodb+srv://svc:${PASSWORD}@cluster0.example.net/appdb?retryWrites=true` },
      tokenCache: { max: 500 },
      remote: { cacheTtlSec: 120 },
      context: { directoryTtlSec: 30, cacheTeam: true, teamTtlSec: 15 },
    });
    const { fields, message } = startupSummary(resolved);
    expect(fields).toMatchObject({
      projectId: PROJECT,
      environment: 'live',
      mongo: 'cluster0.example.net/appdb',
      opaqueTokens: 'on',
      tokenCacheMax: 500,
      remoteCacheTtlSec: 120,
      directoryTtlSec: 30,
      teamCacheTtlSec: 15,
    });
    expect(message).toContain(PROJECT);
    expect(message).toContain('MongoDB cluster0.example.net/appdb');
    const all = JSON.stringify({ fields, message });
    expect(all).not.toContain(SECRET);
    expect(all).not.toContain(PASSWORD);
    expect(all).not.toContain('svc');
  });

  it('says MongoDB off, and why opaque tokens are off', () => {
    const noSecret = startupSummary(resolveOptions({ stytch: { projectId: PROJECT } }));
    expect(noSecret.fields).toMatchObject({ mongo: 'off', opaqueTokens: 'off (no secret)', teamCacheTtlSec: null });
    expect(noSecret.message).toContain('MongoDB off');
    const refused = startupSummary(resolveOptions({ stytch: { projectId: PROJECT, secret: SECRET }, remote: { acceptOpaqueTokens: false } }));
    expect(refused.fields.opaqueTokens).toBe('off');
  });

  it('lists every host of a replica-set URI without its credentials', () => {
    const { fields } = startupSummary(
      resolveOptions({ stytch: { projectId: PROJECT }, mongo: { uri: `mongodb://u:${PASSWORD}@a:27017,b:27018/?replicaSet=rs`, dbName: 'x' } }),
    );
    expect(fields.mongo).toBe('a:27017,b:27018/x');
  });
});
