import type { Logger } from 'pino';
import { AuthError } from '../errors.js';
import { tokenFingerprint } from '../logger.js';
import { logText } from '../log-messages.js';

/**
 * One DEBUG line per refused token: the code, the precise reason and the token's fingerprint
 * (never the token), so an operator can explain any 401 from the logs. The request id comes
 * from the library logger itself (`reqId`). 503s are not refusals of the token: the outage
 * they come from is logged where it happens.
 */
export function logTokenRejection(logger: Logger, error: unknown, token: string | null): void {
  if (!(error instanceof AuthError) || error.status === 503) return;
  // A logger without `isLevelEnabled` (not pino) decides for itself; only a pino "no" skips the work.
  if (logger.isLevelEnabled?.('debug') === false) return;
  logger.debug(
    {
      code: error.code,
      reason: error.reason ?? error.message,
      ...(token !== null ? { tokenFingerprint: tokenFingerprint(token) } : {}),
    },
    logText('tokenRejected'),
  );
}
