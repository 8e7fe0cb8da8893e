import { MongoClient } from 'mongodb';
import { mongoClientOptions } from './mongo-client-options.js';

const SCHEME = /^mongodb(?:\+srv)?:\/\//i;

/** The `user:password` part of a connection string, if any (up to the last `@` of the authority). */
function userInfo(uri: string): string | null {
  const scheme = SCHEME.exec(uri);
  if (!scheme) return null;
  const rest = uri.slice(scheme[0].length);
  const authorityEnd = rest.search(/[/?#]/);
  const authority = authorityEnd === -1 ? rest : rest.slice(0, authorityEnd);
  const at = authority.lastIndexOf('@');
  return at === -1 ? null : authority.slice(0, at);
}

/** The hosts of a connection string (`h1:27017,h2`), without credentials. */
export function mongoHosts(uri: string): string {
  const scheme = SCHEME.exec(uri);
  if (!scheme) return '';
  const rest = uri.slice(scheme[0].length);
  const authorityEnd = rest.search(/[/?#]/);
  const authority = authorityEnd === -1 ? rest : rest.slice(0, authorityEnd);
  return authority.slice(authority.lastIndexOf('@') + 1);
}

/** `text` with every piece of the URI's credentials (raw or decoded) replaced by `***`. */
export function withoutCredentials(text: string, uri: string): string {
  let out = text.replace(/\/\/[^/\s@]*@/g, '//***@');
  const info = userInfo(uri);
  if (info === null) return out;
  const pieces = new Set<string>([info, ...info.split(':')]);
  for (const piece of [...pieces]) {
    try {
      pieces.add(decodeURIComponent(piece));
    } catch {
      // A malformed escape: the raw piece is already in the set.
    }
  }
  // Longest first, so `user:password` goes before `user`; very short pieces (a one-letter
  // user name) would blank unrelated words, and a password that short is no secret anyway.
  for (const piece of [...pieces].filter((p) => p.length >= 3).sort((a, b) => b.length - a.length)) {
    out = out.split(piece).join('***');
  }
  return out;
}

function driverParse(uri: string, clientOptions: Readonly<Record<string, unknown>>): string | null {
  try {
    // The constructor parses the URI and the options synchronously (MongoParseError) and
    // opens nothing: connecting happens on the first operation.
    new MongoClient(uri, mongoClientOptions({ uri, clientOptions }));
    return null;
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return withoutCredentials(message, uri);
  }
}

/**
 * Whether the MongoDB driver accepts the URI and then the client options, by its own parser.
 * The message never contains the URI's password.
 */
export function mongoUriProblem(
  uri: string,
  clientOptions: Readonly<Record<string, unknown>> = {},
): { target: 'uri' | 'clientOptions'; message: string } | null {
  const uriProblem = driverParse(uri, {});
  if (uriProblem !== null) return { target: 'uri', message: `the MongoDB driver cannot parse it: ${uriProblem}` };
  if (Object.keys(clientOptions).length === 0) return null;
  const optionsProblem = driverParse(uri, clientOptions);
  return optionsProblem === null ? null : { target: 'clientOptions', message: `the MongoDB driver refuses them: ${optionsProblem}` };
}
