import { expect } from 'vitest';
import { AuthError } from 'ayz-auth';

/** Awaits a promise that must reject with an AuthError, and returns it. */
export async function rejection(promise: Promise<unknown>): Promise<AuthError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(AuthError);
    return error as AuthError;
  }
  throw new Error('expected an AuthError, got a result');
}
