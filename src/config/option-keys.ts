/**
 * A type-level comparison of two option shapes by their keys, nested groups included: the
 * public option interfaces (which carry the documentation) and the input of the options schema
 * (which validates and fills the defaults) must name the same options, so one added to either
 * without the other is a compile error rather than an option silently refused or ignored.
 * Values are not compared (the schema accepts a driver's `MongoClientOptions` as a free record).
 */

/** Keys of every member of a union (`mongo` is `{ uri, … } | { db }`). */
type KeysOf<T> = T extends unknown ? keyof T : never;

/** The type of key `K` across the members of a union that have it. */
type At<T, K> = T extends unknown ? (K extends keyof T ? T[K] : never) : never;

/** A group of options (recursed into): an object with named keys, not a list, function or free record. */
type IsGroup<T> = [T] extends [object]
  ? [T] extends [readonly unknown[] | ((...args: never[]) => unknown)]
    ? false
    : string extends KeysOf<T>
      ? false
      : true
  : false;

type Same<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;

/**
 * The dotted paths present on one side only, each marked with its side; `never` when the two
 * shapes name the same options.
 */
export type OptionKeyMismatch<Interface, Schema, Prefix extends string = ''> =
  | `${Prefix}${Exclude<KeysOf<Interface>, KeysOf<Schema>> & string} (in the interface, not in the schema)`
  | `${Prefix}${Exclude<KeysOf<Schema>, KeysOf<Interface>> & string} (in the schema, not in the interface)`
  | {
      [K in KeysOf<Interface> & KeysOf<Schema> & string]: Same<At<Interface, K>, At<Schema, K>> extends true
        ? never
        : [IsGroup<NonNullable<At<Interface, K>>>, IsGroup<NonNullable<At<Schema, K>>>] extends [true, true]
          ? OptionKeyMismatch<NonNullable<At<Interface, K>>, NonNullable<At<Schema, K>>, `${Prefix}${K}.`>
          : never;
    }[KeysOf<Interface> & KeysOf<Schema> & string];

/** Compiles only when `Mismatch` is `never`; the error names the paths that differ. */
export type AssertNoMismatch<Mismatch extends never> = Mismatch;
