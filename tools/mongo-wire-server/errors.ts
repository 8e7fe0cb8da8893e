/**
 * MongoDB-style command errors. A handler throws a `CommandError`; the server turns it
 * into `{ok: 0, errmsg, code, codeName, ...}` exactly as mongod does, so the driver raises
 * a `MongoServerError` with the same `code`/`codeName` a real server would give.
 */
import type { Doc } from './bson-values.js';

export class CommandError extends Error {
  constructor(
    readonly code: number,
    readonly codeName: string,
    message: string,
    /** Extra fields of the error reply (e.g. keyPattern/keyValue of a duplicate key). */
    readonly extra: Doc = {},
  ) {
    super(message);
    this.name = 'CommandError';
  }

  toReply(): Doc {
    return { ok: 0, errmsg: this.message, code: this.code, codeName: this.codeName, ...this.extra };
  }
}

/** A failed type conversion: the one error `$convert`'s `onError` may replace. */
export class ConversionFailure extends CommandError {
  constructor(message: string) {
    super(241, 'ConversionFailure', message);
  }
}

export const err = {
  commandNotFound: (name: string) => new CommandError(59, 'CommandNotFound', `no such command: '${name}'`),
  badValue: (msg: string) => new CommandError(2, 'BadValue', msg),
  failedToParse: (msg: string) => new CommandError(9, 'FailedToParse', msg),
  typeMismatch: (msg: string) => new CommandError(14, 'TypeMismatch', msg),
  invalidNamespace: (msg: string) => new CommandError(73, 'InvalidNamespace', msg),
  namespaceNotFound: (msg: string) => new CommandError(26, 'NamespaceNotFound', msg),
  namespaceExists: (msg: string) => new CommandError(48, 'NamespaceExists', msg),
  cursorNotFound: (id: number) => new CommandError(43, 'CursorNotFound', `cursor id ${id} not found`),
  indexNotFound: (msg: string) => new CommandError(27, 'IndexNotFound', msg),
  indexOptionsConflict: (msg: string) => new CommandError(85, 'IndexOptionsConflict', msg),
  indexKeySpecsConflict: (msg: string) => new CommandError(86, 'IndexKeySpecsConflict', msg),
  immutableField: (msg: string) => new CommandError(66, 'ImmutableField', msg),
  conflictingUpdateOperators: (msg: string) => new CommandError(40, 'ConflictingUpdateOperators', msg),
  illegalOperation: (msg: string) => new CommandError(20, 'IllegalOperation', msg),
  invalidOptions: (msg: string) => new CommandError(72, 'InvalidOptions', msg),
  unrecognizedStage: (name: string) =>
    new CommandError(40324, 'Location40324', `Unrecognized pipeline stage name: '${name}'`),
  notSupportedHere: (what: string) =>
    new CommandError(
      115,
      'CommandNotSupported',
      `${what} is not supported by the loopback test server (tier 3); run this test against a real MongoDB (MONGODB_URI or mongodb-memory-server)`,
    ),
};

/**
 * Any error thrown while evaluating a query or pipeline (mostly mingo's assertion
 * errors) becomes a command error with the closest MongoDB code.
 */
export function toCommandError(e: unknown): CommandError {
  if (e instanceof CommandError) return e;
  const message = e instanceof Error ? e.message : String(e);
  if (/unknown (top level |query )?operator/i.test(message)) return new CommandError(2, 'BadValue', message);
  if (/would modify the immutable field '_id'/.test(message)) return err.immutableField(message.replace(/\.$/, ''));
  const stage = /unregistered pipeline operator (\$\w+)/.exec(message);
  if (stage) return err.unrecognizedStage(stage[1] as string);
  if (/is not registered/i.test(message)) {
    return new CommandError(168, 'InvalidPipelineOperator', `Unrecognized expression: ${message}`);
  }
  return new CommandError(2, 'BadValue', message);
}
