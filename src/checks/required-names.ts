/**
 * The one validator of a check's arguments (entitlement names, factor types, claim names,
 * roles). It runs once, when the route is defined, so a mistake stops the service at start-up
 * instead of refusing customers at run time; the frozen copy cannot be changed afterwards by
 * the caller's array.
 */
export function requiredNames(what: string, value: unknown): readonly string[] {
  if (!Array.isArray(value) || value.length === 0 || !value.every((v) => typeof v === 'string' && v !== '')) {
    throw new TypeError(`ayz-auth: ${what} expects a non-empty array of non-empty strings`);
  }
  return Object.freeze([...(value as string[])]);
}

/** One name (`requireEntitlement('reports')`, `requireRole('admin')`), as a list of one. */
export function requiredName(what: string, value: unknown): readonly string[] {
  if (typeof value !== 'string' || value === '') throw new TypeError(`ayz-auth: ${what} expects a non-empty string`);
  return Object.freeze([value]);
}
