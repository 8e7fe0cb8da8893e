import type { Logger } from 'pino';
import type { AuthContext } from '../auth-context.js';
import { logText } from '../log-messages.js';
import { originOf } from './context-origin.js';

/**
 * Contexts made by an `Auth` that has no MongoDB. Their entitlements and team are null because
 * nothing was asked, not because the organization has none: a guard that needs the directory
 * must treat them as a wiring error of the service, never as the customer's missing plan.
 */
export interface DirectoryWiring {
  readonly logger: Logger;
  /** Set once the wiring error has been logged, so it is said once per `Auth`. */
  reported: boolean;
}

/** The `Auth`'s wiring record when `ctx` was made without MongoDB (see ContextOrigin); undefined otherwise. */
export function builtWithoutDirectory(ctx: AuthContext): DirectoryWiring | undefined {
  return originOf(ctx)?.wiring ?? undefined;
}

/**
 * For the guards that read the directory (entitlements, team): a context made without MongoDB
 * is the service's wiring error, not the customer's missing plan, so it must never be answered
 * `upgrade_required`. Logs the fix once per `Auth` at ERROR and throws a plain `Error`, which the
 * adapters hand to the framework's error handler (a 500), like a guard mounted without
 * `verifyAuth`. Does nothing for a context made with MongoDB.
 */
export function assertDirectoryWired(ctx: AuthContext, guard: string): void {
  const wiring = builtWithoutDirectory(ctx);
  if (wiring === undefined) return;
  const message = logText('directoryNotWired', guard);
  if (!wiring.reported) {
    wiring.reported = true;
    wiring.logger.error({ guard }, message);
  }
  throw new Error(message);
}
