import type { Logger } from 'pino';

export interface OrganizationFields {
  readonly entitlements: readonly string[] | null;
  readonly subscriptionTier: string | null;
  readonly subscriptionLimits: Readonly<Record<string, number>> | null;
}

const POISON_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

/**
 * The organization's plan as the Python library reads it: a missing field gives `[]` / null / `{}`, an
 * explicit null stays null (Python parity), and values of the wrong type are dropped with a
 * WARN instead of failing every request of the org (the Python library answered 500).
 */
export function organizationFields(doc: Record<string, unknown>, stytchOrgId: string, logger: Logger): OrganizationFields {
  const bad = (field: string, detail: string) =>
    logger.warn({ stytchOrgId, field }, `Invalid ${field} in organization ${stytchOrgId}: ${detail}; ignored`);

  let entitlements: string[] | null;
  const rawEntitlements = doc.entitlements;
  if (!('entitlements' in doc)) entitlements = [];
  else if (rawEntitlements === null) entitlements = null;
  else if (!Array.isArray(rawEntitlements)) {
    bad('entitlements', 'not an array');
    entitlements = [];
  } else {
    entitlements = rawEntitlements.filter((e): e is string => typeof e === 'string');
    if (entitlements.length !== rawEntitlements.length) bad('entitlements', 'entries that are not strings');
  }

  let subscriptionTier: string | null = null;
  const rawTier = doc.subscription_tier;
  if (typeof rawTier === 'string') subscriptionTier = rawTier;
  else if (rawTier !== undefined && rawTier !== null) bad('subscription_tier', 'not a string');

  let subscriptionLimits: Record<string, number> | null;
  const rawLimits = doc.subscription_limits;
  if (!('subscription_limits' in doc)) subscriptionLimits = {};
  else if (rawLimits === null) subscriptionLimits = null;
  else if (typeof rawLimits !== 'object' || Array.isArray(rawLimits)) {
    bad('subscription_limits', 'not an object');
    subscriptionLimits = {};
  } else {
    subscriptionLimits = {};
    for (const [key, value] of Object.entries(rawLimits as Record<string, unknown>)) {
      if (POISON_KEYS.has(key)) continue;
      if (typeof value === 'number' && Number.isFinite(value)) subscriptionLimits[key] = value;
      else bad('subscription_limits', `limit '${key}' is not a finite number`);
    }
  }

  return Object.freeze({
    entitlements: entitlements && Object.freeze(entitlements),
    subscriptionTier,
    subscriptionLimits: subscriptionLimits && Object.freeze(subscriptionLimits),
  });
}
