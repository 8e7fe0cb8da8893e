/**
 * Where a caller's filter or update talks about the scope field itself. The scope of
 * `scopeFilter` / `scopedUpdate` is the library's to set: a filter that also names the field
 * can seed an upserted document with another tenant's id (MongoDB copies equality
 * conditions of the filter into the inserted document, and ignores the `$in` of the scope),
 * and an update that sets, unsets or renames it moves the document to another tenant.
 */
import type { Document } from 'mongodb';

/** True when `path` is the field, lies inside it (`field.x`), or contains it (`tenant` for `tenant.org`). */
export function touchesField(path: string, field: string): boolean {
  return path === field || path.startsWith(`${field}.`) || field.startsWith(`${path}.`);
}

const LOGICAL = new Set(['$and', '$or', '$nor']);
const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Date) && !ArrayBuffer.isView(v) && !('_bsontype' in v);

/**
 * A field reference in an aggregation expression that reaches `field`: `'$field'`,
 * `'$field.x'`, `'$$ROOT.field'`, `'$$CURRENT.field'`, or the bare name as in
 * `{ $getField: 'field' }`. A bare string equal to the field is refused even where it would
 * be a literal: telling the two apart needs the operator's grammar, and a refusal here only
 * asks the service to write the expression without the tenant field.
 */
function exprStringTouches(s: string, field: string): boolean {
  if (s.startsWith('$$ROOT.')) return touchesField(s.slice('$$ROOT.'.length), field);
  if (s.startsWith('$$CURRENT.')) return touchesField(s.slice('$$CURRENT.'.length), field);
  if (s.startsWith('$$')) return false;
  if (s.startsWith('$')) return touchesField(s.slice(1), field);
  return touchesField(s, field);
}

/** Every string and key inside an aggregation expression, arbitrarily nested, arrays included. */
function exprMention(expr: unknown, field: string, where: string): string | null {
  if (typeof expr === 'string') return exprStringTouches(expr, field) ? where : null;
  if (Array.isArray(expr)) {
    for (let i = 0; i < expr.length; i++) {
      const found = exprMention(expr[i], field, `${where}[${i}]`);
      if (found) return found;
    }
    return null;
  }
  if (isPlainObject(expr)) {
    for (const [key, value] of Object.entries(expr)) {
      // Object literals inside expressions ({ $mergeObjects: [{ field: … }] }) name the field as a key.
      if (!key.startsWith('$') && touchesField(key, field)) return `${where}.${key}`;
      const found = exprMention(value, field, `${where}.${key}`);
      if (found) return found;
    }
  }
  return null;
}

/** Any key at any depth that touches the field (for operators whose grammar we do not follow). */
function deepKeyMention(value: unknown, field: string, where: string): string | null {
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const found = deepKeyMention(value[i], field, `${where}[${i}]`);
      if (found) return found;
    }
    return null;
  }
  if (isPlainObject(value)) {
    for (const [key, v] of Object.entries(value)) {
      if (touchesField(key, field)) return `${where}.${key}`;
      const found = deepKeyMention(v, field, `${where}.${key}`);
      if (found) return found;
    }
  }
  return null;
}

/** The operators of one field's condition (`{ $elemMatch: …, $not: … }`), `prefix` being that field's path. */
function conditionMention(condition: Record<string, unknown>, prefix: string, field: string, where: string): string | null {
  for (const [op, value] of Object.entries(condition)) {
    if (op === '$elemMatch' && isPlainObject(value)) {
      // $elemMatch conditions are paths relative to the array's elements.
      const found = filterMention(value, field, `${where}.$elemMatch`, `${prefix}.`);
      if (found) return found;
    } else if (op === '$not' && isPlainObject(value)) {
      const found = conditionMention(value, prefix, field, `${where}.$not`);
      if (found) return found;
    }
  }
  return null;
}

/**
 * The place in `filter` that mentions `field` (a path such as `filter.$or[1].organization_id`),
 * or null. Follows the query grammar: `$and`/`$or`/`$nor` nest filters, `$expr` holds an
 * aggregation expression, `$elemMatch` holds sub-paths; `$where` code and other top-level
 * operators (`$jsonSchema`, `$text`…) are searched for the field's name as a whole.
 */
export function filterMention(filter: Document, field: string, where = 'filter', prefix = ''): string | null {
  for (const [key, value] of Object.entries(filter)) {
    const at = `${where}.${key}`;
    if (LOGICAL.has(key)) {
      if (Array.isArray(value)) {
        for (let i = 0; i < value.length; i++) {
          const clause: unknown = value[i];
          if (isPlainObject(clause)) {
            const found = filterMention(clause, field, `${at}[${i}]`, prefix);
            if (found) return found;
          }
        }
      }
    } else if (key === '$expr') {
      const found = exprMention(value, field, at);
      if (found) return found;
    } else if (key === '$where') {
      const code = typeof value === 'function' ? String(value) : value;
      if (typeof code === 'string' && code.includes(field.split('.')[0]!)) return at;
    } else if (key.startsWith('$')) {
      const found = deepKeyMention(value, field, at);
      if (found) return found;
    } else {
      if (touchesField(prefix + key, field)) return at;
      if (isPlainObject(value) && Object.keys(value).some((k) => k.startsWith('$'))) {
        const found = conditionMention(value, prefix + key, field, at);
        if (found) return found;
      }
    }
  }
  return null;
}

/**
 * The place in an update document that changes `field` (set, unset, renamed to or from,
 * incremented, pushed to… by any operator), or null. Pipelines and replacement documents
 * are the caller's to refuse before calling this.
 */
export function updateMention(update: Document, field: string): string | null {
  for (const [op, spec] of Object.entries(update)) {
    if (!isPlainObject(spec)) continue;
    for (const [path, value] of Object.entries(spec)) {
      // Array filters and positional paths (`items.$[x].v`, `a.$`) still start with the field they change.
      if (touchesField(path, field)) return `update.${op}.${path}`;
      if (op === '$rename' && typeof value === 'string' && touchesField(value, field)) return `update.$rename.${path}`;
    }
  }
  return null;
}
