/**
 * The parts behind the bounds on calls to Stytch, alone: reading `Retry-After`, the call gate
 * (cap and back-off, on an injected clock) and the rate-bounded summary line.
 */
import { describe, expect, it } from 'vitest';
import { DEFAULT_RETRY_AFTER_MS, MAX_RETRY_AFTER_MS, retryAfterMs } from '../../src/token/retry-after.js';
import { StytchCallGate } from '../../src/token/stytch-call-gate.js';
import { RateBoundedLog } from '../../src/token/rate-bounded-log.js';
import { captureLogs } from '../support/log-capture.js';

describe('retryAfterMs', () => {
  const now = Date.parse('2025-01-01T00:00:00Z');
  it.each([
    ['delay-seconds', '2', 2_000],
    ['zero', '0', 0],
    ['surrounding spaces', ' 7 ', 7_000],
    ['an IMF-fixdate 30 s ahead', 'Wed, 01 Jan 2025 00:00:30 GMT', 30_000],
    ['an HTTP-date in the past', 'Tue, 31 Dec 2024 23:59:00 GMT', 0],
    ['more than the cap', '86400', MAX_RETRY_AFTER_MS],
    ['a date beyond the cap', 'Thu, 01 Jan 2026 00:00:00 GMT', MAX_RETRY_AFTER_MS],
    ['absent', null, DEFAULT_RETRY_AFTER_MS],
    ['empty', '', DEFAULT_RETRY_AFTER_MS],
    ['negative', '-5', DEFAULT_RETRY_AFTER_MS],
    ['a fraction', '1.5', DEFAULT_RETRY_AFTER_MS],
    ['garbage', 'later please', DEFAULT_RETRY_AFTER_MS],
    ['a huge number', '99999999999999999999', DEFAULT_RETRY_AFTER_MS],
  ])('%s', (_name, header, expected) => {
    expect(retryAfterMs(header, now)).toBe(expected);
  });
});

describe('StytchCallGate', () => {
  it('admits up to the cap, refuses beyond at once, and a released slot (released twice) frees one place', () => {
    const gate = new StytchCallGate(2);
    const a = gate.tryAcquire();
    const b = gate.tryAcquire();
    expect(a.admitted && b.admitted).toBe(true);
    expect(gate.tryAcquire()).toEqual({ admitted: false, refusal: { reason: 'in_flight_limit', limit: 2 } });
    if (a.admitted) {
      a.release();
      a.release();
    }
    expect(gate.callsInFlight).toBe(1);
    expect(gate.tryAcquire().admitted).toBe(true);
    expect(gate.tryAcquire().admitted).toBe(false);
  });

  it('refuses while backing off, a shorter window never cuts a longer one, and admits again after', () => {
    let now = 1_000;
    const gate = new StytchCallGate(5, () => now);
    gate.backOff(2_000);
    gate.backOff(500);
    expect(gate.tryAcquire()).toEqual({ admitted: false, refusal: { reason: 'backing_off', remainingMs: 2_000 } });
    now += 1_999;
    expect(gate.backOffRemainingMs()).toBe(1);
    now += 1;
    expect(gate.tryAcquire().admitted).toBe(true);
  });
});

describe('RateBoundedLog', () => {
  it('logs the first event at once, then one summary per interval with the counts by key and tallies', async () => {
    const logs = captureLogs();
    const log = new RateBoundedLog({ logger: logs.logger, level: 'info', message: 'Things rejected', countsField: 'byCode', intervalMs: 200 });
    log.record('a');
    expect(logs.find('Things rejected', 'info')).toHaveLength(1);
    for (let i = 0; i < 50; i += 1) log.record(i % 2 === 0 ? 'a' : 'b', i < 10 ? 'remembered' : undefined);
    expect(logs.find('Things rejected', 'info')).toHaveLength(1);
    // The summary is due when the interval ends: awaited as it is written.
    await logs.waitFor('Things rejected', 'info', { count: 2, timeoutMs: 5_000 });
    const [first, summary] = logs.find('Things rejected', 'info');
    expect(first).toMatchObject({ count: 1, byCode: { a: 1 }, windowSec: 0.2 });
    expect(summary).toMatchObject({ count: 50, byCode: { a: 25, b: 25 }, remembered: 10, windowSec: 0.2 });
    expect(logs.records()).toHaveLength(2);
  });
});
