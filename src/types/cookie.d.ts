// `cookie` 0.7 (the parser Express 4 and 5 depend on) ships no types; this is the part of its
// API the core calls. Delete this file when moving to `cookie` 1.x, which ships its own.
declare module 'cookie' {
  export interface CookieParseOptions {
    /** Applied to each value; `cookie` keeps the raw value when it throws. Default decodeURIComponent. */
    decode?(value: string): string;
  }
  /** Name → value of a `Cookie` header; the first of duplicated names wins. Never throws on a string. */
  export function parse(str: string, options?: CookieParseOptions): Record<string, string | undefined>;
}
