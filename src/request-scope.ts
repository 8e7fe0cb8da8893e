import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * The framework's id of the request being authenticated, for the library's log lines. Entered
 * only on the slow path (a cache miss does I/O and may log); the warm path logs nothing.
 */
const requestScope = new AsyncLocalStorage<string | number>();

export function runWithRequestId<T>(requestId: string | number | undefined, fn: () => T): T {
  return requestId === undefined ? fn() : requestScope.run(requestId, fn);
}

/** The id of the request whose authentication is running, if the adapter gave one. */
export function currentRequestId(): string | number | undefined {
  return requestScope.getStore();
}
