import { z } from 'zod';
import { closestName } from './closest-name.js';

export interface ConfigIssue {
  path: string;
  message: string;
}

/** The keys an object schema knows at `path` (through `.optional()`, `.default()`, `.prefault()`), for "did you mean". */
function knownKeysAt(schema: z.ZodType, path: readonly PropertyKey[]): string[] {
  let current: z.ZodType = schema;
  for (const segment of [...path, null]) {
    while (current instanceof z.ZodOptional || current instanceof z.ZodDefault || current instanceof z.ZodPrefault) {
      current = current.unwrap() as z.ZodType;
    }
    if (!(current instanceof z.ZodObject)) return [];
    if (segment === null) return Object.keys(current.shape);
    const next = (current.shape as Record<PropertyKey, z.ZodType | undefined>)[segment];
    if (next === undefined) return [];
    current = next;
  }
  return [];
}

function unknownKeyMessage(key: string, where: string, known: readonly string[]): string {
  const closest = closestName(key, known);
  const base = `is not an option${where ? ` of ${where}` : ''}`;
  if (closest === null) return base;
  if (closest.likely) return `${base}; did you mean '${closest.name}'?`;
  return `${base} (known: ${known.join(', ')})`;
}

/**
 * zod's issues as `{ path, message }`, one per unknown key (named by its full path, with the
 * closest known name), so a misspelled option is refused as loudly as a wrong value.
 */
export function configIssues(schema: z.ZodType, error: z.ZodError): ConfigIssue[] {
  const out: ConfigIssue[] = [];
  for (const issue of error.issues) {
    const where = issue.path.map(String).join('.');
    if (issue.code === 'unrecognized_keys') {
      const known = knownKeysAt(schema, issue.path);
      for (const key of issue.keys) {
        out.push({ path: where ? `${where}.${key}` : key, message: unknownKeyMessage(key, where, known) });
      }
      continue;
    }
    out.push({ path: where || '(options)', message: issue.message });
  }
  return out;
}
