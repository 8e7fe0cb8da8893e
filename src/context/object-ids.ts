import { ObjectId } from 'mongodb';

const HEX24 = /^[0-9a-fA-F]{24}$/;

/**
 * The hex form of an id stored either as an ObjectId or as a 24-hex string, else null.
 * Ids are compared by this value, never by type: the two forms name the same document.
 */
export function idHex(value: unknown): string | null {
  if (value instanceof ObjectId) return value.toHexString();
  if (typeof value === 'string' && HEX24.test(value)) return value.toLowerCase();
  return null;
}

export function toObjectId(hex: string): ObjectId {
  return ObjectId.createFromHexString(hex);
}

/** Both stored forms of one id, for `$in` filters that must match either. */
export function bothIdForms(hex: string): [ObjectId, string] {
  return [toObjectId(hex), hex];
}

/** A stored id (or other scalar, such as a status) as it may appear in a log line: bounded, whatever a document holds. */
export function describeId(value: unknown): string {
  if (value === undefined || value === null) return 'None';
  const text = value instanceof ObjectId ? value.toHexString() : typeof value === 'string' ? value : JSON.stringify(value) ?? String(value);
  return text.length > 64 ? `${text.slice(0, 61)}...` : text;
}
