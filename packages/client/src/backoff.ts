/** Settings of the reconnection delay; see {@link Backoff}. */
export interface BackoffOptions {
  /** Base delay in ms (`reconnectionDelay`). */
  min: number;
  /** Largest delay in ms (`reconnectionDelayMax`). */
  max: number;
  /** Share of the delay that is random, 0..1 (`randomizationFactor`). 1 = full jitter. */
  jitter: number;
  /** Injected for tests; defaults to Math.random. */
  random?: () => number;
}

/*
 * 2^31 * any sensible base delay is already far above any cap, and stopping the exponent there
 * keeps the product finite (0 * Infinity would be NaN).
 */
const MAX_EXPONENT = 31;

/**
 * Exponential backoff with jitter, and the one timer that waits it out.
 *
 * Attempt n waits `cap * (1 - jitter * random())` where `cap = min(max, min * 2^n)`. With the
 * default jitter of 1 this is "full jitter": after a server restart thousands of clients spread
 * evenly over [0, cap] instead of arriving in synchronized waves.
 * Why: https://aws.amazon.com/blogs/architecture/exponential-backoff-and-jitter/
 */
export class Backoff {
  /** Attempts made since the last reset. */
  attempts = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private readonly random: () => number;

  constructor(private readonly options: BackoffOptions) {
    this.random = options.random ?? Math.random;
  }

  /** The delay of the next attempt, in ms; counts the attempt. */
  duration(): number {
    const { min, max, jitter } = this.options;
    const cap = Math.min(max, min * 2 ** Math.min(this.attempts, MAX_EXPONENT));
    this.attempts++;
    return Math.floor(cap * (1 - jitter * this.random()));
  }

  /** Runs `callback` after the next delay; replaces any pending one. Returns the delay. */
  schedule(callback: () => void): number {
    this.cancel();
    const delay = this.duration();
    this.timer = setTimeout(() => {
      this.timer = undefined;
      callback();
    }, delay);
    return delay;
  }

  /** True while a scheduled callback is waiting. */
  get pending(): boolean {
    return this.timer !== undefined;
  }

  /** Drops the pending callback, if any; keeps the attempt count. */
  cancel(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** Cancels and starts over from attempt 0. */
  reset(): void {
    this.cancel();
    this.attempts = 0;
  }

  setMin(min: number): void {
    this.options.min = min;
  }
  setMax(max: number): void {
    this.options.max = max;
  }
  setJitter(jitter: number): void {
    this.options.jitter = jitter;
  }
}
