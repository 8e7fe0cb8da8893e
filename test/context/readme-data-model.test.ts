/**
 * The README's "MongoDB: collections, fields, indexes" tables are the data model module, read
 * back: every collection, every field read or written, every recommended and provisioning
 * index (keys and name). A rename in `src/data-model/` without the README fails here.
 */
import { readFileSync } from 'node:fs';
import { expect, it } from 'vitest';
import { COLLECTION_FIELDS, COLLECTIONS, PROVISIONING_INDEXES, RECOMMENDED_INDEXES, type CollectionKey } from '../../src/data-model/index.js';

const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');

function section(heading: string): string {
  const start = readme.indexOf(`\n${heading}\n`);
  expect(start, heading).toBeGreaterThan(-1);
  const end = readme.indexOf('\n## ', start + heading.length + 2);
  return readme.slice(start, end === -1 ? undefined : end);
}

/** Each markdown table of the text, as rows of cells (header and rule rows left out). */
function tables(text: string): string[][][] {
  const found: string[][][] = [];
  let current: string[][] | null = null;
  for (const line of text.split('\n')) {
    if (!line.startsWith('|')) {
      current = null;
      continue;
    }
    const cells = line.slice(1, -1).split('|').map((c) => c.trim());
    if (current === null) {
      current = [];
      found.push(current);
      continue; // header
    }
    if (cells.every((c) => /^-+$/.test(c))) continue;
    current.push(cells);
  }
  return found;
}

/** The backticked names of a cell, leaving out what is said in parentheses. */
const names = (cell: string): string[] => [...cell.replace(/\([^)]*\)/g, '').matchAll(/`([^`]+)`/g)].map((m) => m[1] as string);

/** `{ a: 1, b: -1 }` → `{ a: 1, b: -1 }` as an object, key order kept. */
function keysOf(cell: string): Record<string, number> {
  const spec = /`\{([^}]*)\}`/.exec(cell)?.[1] ?? '';
  return Object.fromEntries([...spec.matchAll(/(\w+):\s*(-?1)/g)].map((m) => [m[1] as string, Number(m[2])]));
}

const [fieldsTable, indexTable, provisioningTable] = tables(section('## MongoDB: collections, fields, indexes'));
const keyOfName = new Map<string, CollectionKey>(Object.entries(COLLECTIONS).map(([key, name]) => [name, key as CollectionKey]));

it("the README's collections table lists every collection with the fields read and written", () => {
  const rows = (fieldsTable ?? []).map(([collection = '', read = '', written = '']) => ({ collection: names(collection)[0], read: names(read), written: names(written) }));
  expect(rows.map((r) => r.collection).sort()).toEqual(Object.values(COLLECTIONS).sort());
  for (const row of rows) {
    const fields = COLLECTION_FIELDS[keyOfName.get(row.collection ?? '') as CollectionKey];
    expect({ collection: row.collection, read: row.read, written: row.written }).toEqual({ collection: row.collection, read: [...fields.read], written: [...fields.written] });
  }
});

it("the README's index tables are the recommended and the provisioning indexes", () => {
  const rowsOf = (table: string[][] | undefined) =>
    (table ?? []).map(([collection = '', keys = '', name = '']) => ({ collection: names(collection)[0], keys: keysOf(keys), name: names(name)[0] }));
  const model = (list: readonly { collection: string; keys: unknown; name: string }[]) => list.map((i) => ({ collection: i.collection, keys: i.keys, name: i.name }));
  expect(rowsOf(indexTable)).toEqual(model(RECOMMENDED_INDEXES));
  expect(rowsOf(provisioningTable)).toEqual(model(PROVISIONING_INDEXES));
  // key order matters to MongoDB: compare it too
  expect(rowsOf(indexTable).map((r) => Object.keys(r.keys))).toEqual(RECOMMENDED_INDEXES.map((i) => Object.keys(i.keys)));
});
