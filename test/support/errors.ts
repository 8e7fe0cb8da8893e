import { expect } from 'vitest';
import { AuthConfigError, AuthError } from 'ayz-auth';

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

/** Runs `fn`, which must throw an AuthError, and returns it. */
export function thrownAuthError(fn: () => unknown): AuthError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(AuthError);
    return error as AuthError;
  }
  throw new Error('expected an AuthError');
}

/** Runs `fn`, which must throw an AuthConfigError, and returns it. */
export function configError(fn: () => unknown): AuthConfigError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(AuthConfigError);
    return error as AuthConfigError;
  }
  throw new Error('expected AuthConfigError');
}
