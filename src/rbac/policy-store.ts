/**
 * The RBAC policy of one `Auth`: the project's policy (refreshed by a timer every 5 minutes once
 * it has been used) and, when `organizationPolicies` is on, each organization's custom roles
 * (refreshed behind the requests that use them). Decisions read a compiled `PermissionIndex`
 * synchronously; the request path makes no call to Stytch once the policy is loaded. With no
 * usable policy (never loaded, or stale past the bound) the answer is 503 `rbac_unavailable`,
 * never an allow.
 */
import { LRUCache } from 'lru-cache';
import { AuthError } from '../errors.js';
import type { AuthLogger } from '../logger.js';
import { buildPermissionIndex, type PermissionIndex } from './decision.js';
import type { RbacOrgPolicy, RbacPolicy } from './policy.js';
import { PolicyClient, type PolicyClientOptions } from './policy-client.js';
import type { ResolvedRbacOptions } from './rbac-options.js';
import { RefreshingDocument, type RefreshEvents, type Unavailability } from './refreshing-document.js';
import { logText } from '../log-messages.js';

export interface RbacStoreCredentials {
  readonly projectId: string;
  readonly secret: string;
  readonly apiBaseUrl: string;
}

/** For tests: a clock to age the policy without waiting, and the timer switched off. */
export interface RbacStoreInternals {
  readonly now?: () => number;
  readonly backgroundRefresh?: boolean;
}

interface OrgEntry {
  readonly document: RefreshingDocument<RbacOrgPolicy>;
  index: PermissionIndex | null;
  builtFrom: { project: number; org: number };
}

function events(logger: AuthLogger, what: string, fields: Record<string, unknown>): RefreshEvents {
  return {
    onFailure(reason, misconfigured, cached, retryInMs) {
      if (misconfigured) {
        logger.error({ ...fields, reason, retryInMs }, logText('rbacRefused', what, reason));
      } else if (cached) {
        logger.warn({ ...fields, reason, retryInMs }, logText('rbacRefreshFailed', what));
      } else {
        logger.error({ ...fields, reason, retryInMs }, logText('rbacFetchFailed', what));
      }
    },
    onRecovered() {
      logger.info({ ...fields }, logText('rbacRecovered', what));
    },
  };
}

export class RbacPolicyStore {
  private readonly client: PolicyClient;
  private readonly project: RefreshingDocument<RbacPolicy>;
  private readonly orgs: LRUCache<string, OrgEntry> | null;
  private projectIndex: PermissionIndex | null = null;
  private projectIndexVersion = -1;
  private readonly now: () => number;
  private readonly warnedResources = new Set<string>();

  constructor(
    credentials: RbacStoreCredentials,
    private readonly options: ResolvedRbacOptions,
    private readonly logger: AuthLogger,
    internals: RbacStoreInternals = {},
  ) {
    const clientOptions: PolicyClientOptions = { ...credentials, timeoutMs: options.timeoutMs };
    this.client = new PolicyClient(clientOptions);
    this.now = internals.now ?? Date.now;
    const timing = {
      refreshIntervalMs: options.refreshIntervalMs,
      staleIfErrorMs: options.staleIfErrorMs,
      maxBackoffMs: options.maxBackoffMs,
    };
    this.project = new RefreshingDocument(
      () => this.client.projectPolicy(),
      { ...timing, background: internals.backgroundRefresh ?? true },
      events(logger, 'RBAC policy', { policyUrl: this.client.policyUrl }),
      this.now,
    );
    this.orgs = options.organizationPolicies
      ? new LRUCache<string, OrgEntry>({ max: options.maxOrganizations, dispose: (entry) => entry.document.close() })
      : null;
  }

  /** Project policy fetches started (for tests and benchmarks). */
  get fetchCount(): number {
    return this.project.fetchCount;
  }

  /** Organization policy fetches started, all organizations together. */
  get orgFetchCount(): number {
    let count = 0;
    if (this.orgs !== null) for (const entry of this.orgs.values()) count += entry.document.fetchCount;
    return count;
  }

  /** The decision index for a member of `stytchOrgId` when it may be had without waiting; else null. */
  current(stytchOrgId: string): PermissionIndex | null {
    const policy = this.project.current();
    if (policy === null) return null;
    if (this.projectIndexVersion !== this.project.version || this.projectIndex === null) {
      this.projectIndex = buildPermissionIndex(policy);
      this.projectIndexVersion = this.project.version;
    }
    if (this.orgs === null) return this.projectIndex;
    const entry = this.orgEntry(stytchOrgId);
    const orgPolicy = entry.document.current();
    if (orgPolicy === null) return null;
    if (entry.index === null || entry.builtFrom.project !== this.project.version || entry.builtFrom.org !== entry.document.version) {
      entry.index = buildPermissionIndex(policy, orgPolicy.roles);
      entry.builtFrom = { project: this.project.version, org: entry.document.version };
    }
    return entry.index;
  }

  /**
   * The index, after waiting for the fetches it needs (the first check of the process, or of an
   * organization). Throws 503 `rbac_unavailable` when Stytch cannot give a usable policy.
   */
  async load(stytchOrgId: string): Promise<PermissionIndex> {
    const ready = this.current(stytchOrgId);
    if (ready !== null) return ready;
    const [project, org] = await Promise.all([
      this.project.load(),
      this.orgs === null ? Promise.resolve(true) : this.orgEntry(stytchOrgId).document.load(),
    ]);
    const index = project !== null && org !== null ? this.current(stytchOrgId) : null;
    if (index === null) throw this.unavailable(stytchOrgId);
    return index;
  }

  /** The 503 for a check that found no usable policy, with the wait until the next attempt. */
  unavailable(stytchOrgId: string): AuthError {
    let why: Unavailability = this.project.unavailability();
    let what = 'RBAC policy';
    if (this.project.current() !== null && this.orgs !== null) {
      why = this.orgEntry(stytchOrgId).document.unavailability();
      what = 'RBAC organization policy';
    }
    return new AuthError('rbac_unavailable', {
      reason: `${what} unavailable: ${why.reason}`,
      retryAfterSec: Math.max(1, Math.ceil(why.retryInMs / 1000)),
    });
  }

  /** Once per resource, a WARN for a check naming a resource the policy does not declare (likely a typo). */
  noteUnknownResource(index: PermissionIndex, resource: string): void {
    if (index.hasResource(resource) || this.warnedResources.has(resource) || this.warnedResources.size >= 1_000) return;
    this.warnedResources.add(resource);
    this.logger.warn({ resource }, logText('rbacUndeclaredResource'));
  }

  /** Starts loading the project policy (and its background refresh) without waiting for a request. */
  preload(): Promise<boolean> {
    return this.project.refresh();
  }

  close(): void {
    this.project.close();
    this.orgs?.clear();
  }

  private orgEntry(stytchOrgId: string): OrgEntry {
    const orgs = this.orgs!;
    let entry = orgs.get(stytchOrgId);
    if (entry === undefined) {
      const document = new RefreshingDocument(
        () => this.client.orgPolicy(stytchOrgId),
        {
          refreshIntervalMs: this.options.refreshIntervalMs,
          staleIfErrorMs: this.options.staleIfErrorMs,
          maxBackoffMs: this.options.maxBackoffMs,
          // One timer per organization would grow with the tenants: refreshed behind requests instead.
          background: false,
        },
        events(this.logger, 'RBAC organization policy', { stytchOrgId }),
        this.now,
      );
      entry = { document, index: null, builtFrom: { project: -1, org: -1 } };
      orgs.set(stytchOrgId, entry);
    }
    return entry;
  }
}
