import type pg from 'pg';
import type { Clock } from '../clock.js';
import { createAuthFailureGuard, type AuthFailureGuard } from './auth-failures.js';
import { createRateLimiter, type RateLimiter } from './limiter.js';

/** The broker's rate limits: configured per-minute budgets (0 disables) and their counters. */
export interface RateLimits {
  limiter: RateLimiter;
  authFailures: AuthFailureGuard;
  tokenPerMinute: number;
  connectPerMinute: number;
}

/**
 * @example
 * const limits = createRateLimits({ pool, clock, ...config.rateLimits });
 */
export function createRateLimits(deps: {
  pool: pg.Pool;
  clock: Clock;
  tokenPerMinute: number;
  connectPerMinute: number;
  authFailuresPerMinute: number;
}): RateLimits {
  const limiter = createRateLimiter(deps);
  return {
    limiter,
    authFailures: createAuthFailureGuard({
      limiter,
      clock: deps.clock,
      perMinute: deps.authFailuresPerMinute,
    }),
    tokenPerMinute: deps.tokenPerMinute,
    connectPerMinute: deps.connectPerMinute,
  };
}
