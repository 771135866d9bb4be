/** What happens to an incoming event once a connection's token bucket is empty. */
export type RateLimitAction = "drop" | "disconnect";

/** Per-connection limit on incoming events (EVENT packets, with or without ack). */
export interface RateLimitOptions {
  /** Tokens added per second: the sustained event rate a connection may keep up. */
  eventsPerSecond: number;
  /** Bucket size: events a connection may send at once after being quiet. */
  burst: number;
  /**
   * "drop": the event is discarded, counted in `metrics.rateLimitedEvents`, and the client's socket
   * gets an `error` event `{ code: "ERR_RATE_LIMITED", message }` (once per run of drops).
   * "disconnect": the connection closes with 4003 (counted in `metrics.rateLimitCloses`).
   */
  onExceeded: RateLimitAction;
}

/**
 * A token bucket that refills lazily: each `take` adds the tokens earned since the previous call,
 * so there is no timer per connection and no allocation per event.
 */
export class TokenBucket {
  private tokens: number;
  private last: number;
  private readonly perMs: number;

  constructor(
    eventsPerSecond: number,
    private readonly burst: number,
    now: number,
  ) {
    this.perMs = eventsPerSecond / 1000;
    this.tokens = burst;
    this.last = now;
  }

  /** Takes one token at time `now` (ms, monotonic); false when the bucket is empty. */
  take(now: number): boolean {
    const elapsed = now - this.last;
    if (elapsed > 0) {
      this.last = now;
      const tokens = this.tokens + elapsed * this.perMs;
      this.tokens = tokens > this.burst ? this.burst : tokens;
    }
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}

/** Checks user options early so that a typo fails at startup, not under load. */
export function validateRateLimit(options: RateLimitOptions | undefined): void {
  if (options === undefined) return;
  const { eventsPerSecond, burst, onExceeded } = options;
  if (!(eventsPerSecond > 0) || !(burst >= 1)) {
    throw new RangeError("rateLimit needs eventsPerSecond > 0 and burst >= 1");
  }
  if (onExceeded !== "drop" && onExceeded !== "disconnect") {
    throw new RangeError('rateLimit.onExceeded must be "drop" or "disconnect"');
  }
}
