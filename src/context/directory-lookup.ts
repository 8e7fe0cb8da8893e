import type { Db, Document } from 'mongodb';
import type { Logger } from 'pino';
import { describeId, idHex } from './object-ids.js';
import { organizationFields, type OrganizationFields } from './organization-fields.js';
import { COLLECTIONS } from '../data-model/collections.js';
import { directoryPipeline } from '../data-model/directory-pipeline.js';
import { logText } from '../log-messages.js';

export interface DirectoryOrganization extends OrganizationFields {
  /** `_id` as stored, to query with the very value the database holds. */
  readonly id: unknown;
  readonly hex: string;
}

export interface DirectoryUser {
  readonly id: unknown;
  readonly hex: string;
  readonly via: 'membership' | 'fallback';
}

/** Round trip 1's answer: the organization and the user, each possibly unknown. */
export interface DirectoryEntry {
  readonly organization: DirectoryOrganization | null;
  readonly user: DirectoryUser | null;
}

function membershipUser(orgDoc: Document | undefined): { id: unknown; hex: string } | null {
  const memberships: unknown = orgDoc?.memberships;
  if (!Array.isArray(memberships)) return null;
  for (const membership of memberships as Document[]) {
    const users: unknown = membership.user;
    const user = Array.isArray(users) ? (users[0] as Document | undefined) : undefined;
    const hex = idHex(user?._id);
    if (user && hex) return { id: user._id, hex };
  }
  return null;
}

/** The member's newest non-active membership row in the organization, if any. */
function inactiveMembership(orgDoc: Document | undefined): { status: string | null; label: string } | null {
  const rows: unknown = orgDoc?.inactiveMemberships;
  const row = Array.isArray(rows) ? (rows[0] as Document | undefined) : undefined;
  if (!row) return null;
  const status: unknown = row.status;
  if (status === undefined || status === null) return { status: null, label: 'without status' };
  // A status is data of the database: bounded before it reaches a log line.
  const text = describeId(status);
  return { status: text, label: text };
}

export async function lookupDirectory(
  db: Db,
  stytchMemberId: string,
  stytchOrgId: string,
  logger: Logger,
): Promise<DirectoryEntry> {
  const docs = await db.collection(COLLECTIONS.organizations).aggregate(directoryPipeline(stytchMemberId, stytchOrgId)).toArray();
  const orgDoc = docs.find((d) => d._kind === 'org');
  const directDoc = docs.find((d) => d._kind === 'user');
  const fields = { stytchMemberId, stytchOrgId };

  let organization: DirectoryOrganization | null = null;
  const orgHex = idHex(orgDoc?._id);
  if (orgDoc && orgHex) {
    organization = Object.freeze({ id: orgDoc._id, hex: orgHex, ...organizationFields(orgDoc, stytchOrgId, logger) });
  } else if (orgDoc) {
    logger.warn({ ...fields, orgId: String(orgDoc._id) }, logText('malformedOrganizationId', stytchOrgId));
  }

  let user: DirectoryUser | null = null;
  const viaMembership = organization ? membershipUser(orgDoc) : null;
  // An active row wins over a non-active one, even when its user is gone (then: the fallback).
  const hasActiveRow = Array.isArray(orgDoc?.memberships) && orgDoc.memberships.length > 0;
  const inactive = organization && !hasActiveRow ? inactiveMembership(orgDoc) : null;
  if (viaMembership) {
    user = { ...viaMembership, via: 'membership' };
    logger.debug({ ...fields, userId: viaMembership.hex }, `Found user via org membership lookup: stytch_member_id=${stytchMemberId}, org=${stytchOrgId}`);
  } else if (organization && inactive) {
    // An explicit non-active row is a removal: the fallback is only for members without any
    // row, otherwise deactivating a member in MongoDB would change nothing.
    logger.warn(
      { ...fields, orgId: organization.hex, membershipStatus: inactive.status },
      logText('membershipInactive', stytchMemberId, stytchOrgId, inactive.label),
    );
  } else {
    if (organization) {
      logger.warn(fields, logText('noOrgMembership', stytchMemberId, stytchOrgId));
    } else {
      logger.warn(fields, logText('organizationNotFound', stytchOrgId));
    }
    const hex = idHex(directDoc?._id);
    if (directDoc && hex) {
      user = { id: directDoc._id, hex, via: 'fallback' };
      logger.debug({ ...fields, userId: hex }, `Found user via fallback lookup: ${stytchMemberId}`);
    } else {
      logger.debug(fields, `User not found: ${stytchMemberId}`);
    }
  }
  return Object.freeze({ organization, user: user && Object.freeze(user) });
}
