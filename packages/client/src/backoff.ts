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
 * The delay in ms before reconnection attempt `attempt` (0 for the first):
 * `cap * (1 - jitter * random())` where `cap = min(max, min * 2^attempt)`. With a jitter of 1
 * this is "full jitter": after a server restart thousands of clients spread evenly over
 * [0, cap] instead of arriving in synchronized waves.
 * Why: https://aws.amazon.com/blogs/architecture/exponential-backoff-and-jitter/
 * The manager calls this with its current options; {@link Backoff} wraps it with a timer.
 */
export const backoffDelay = (attempt: number, min: number, max: number, jitter: number, random = Math.random): number =>
  Math.floor(Math.min(max, min * 2 ** Math.min(attempt, MAX_EXPONENT)) * (1 - jitter * random()));

/**
 * Exponential backoff with jitter ({@link backoffDelay}), and the one timer that waits it out.
 */
export class Backoff {
  /** Attempts made since the last reset. */
  attempts = 0;
  private _timer: ReturnType<typeof setTimeout> | undefined;

  constructor(private readonly _options: BackoffOptions) {}

  /** The delay of the next attempt, in ms; counts the attempt. */
  duration(): number {
    const { min, max, jitter, random } = this._options;
    return backoffDelay(this.attempts++, min, max, jitter, random);
  }

  /** Runs `callback` after the next delay; replaces any pending one. Returns the delay. */
  schedule(callback: () => void): number {
    this.cancel();
    const delay = this.duration();
    this._timer = setTimeout(() => {
      this._timer = undefined;
      callback();
    }, delay);
    return delay;
  }

  /** True while a scheduled callback is waiting. */
  get pending(): boolean {
    return this._timer !== undefined;
  }

  /** Drops the pending callback, if any; keeps the attempt count. */
  cancel(): void {
    clearTimeout(this._timer);
    this._timer = undefined;
  }

  /** Cancels and starts over from attempt 0. */
  reset(): void {
    this.cancel();
    this.attempts = 0;
  }

  setMin(min: number): void {
    this._options.min = min;
  }
  setMax(max: number): void {
    this._options.max = max;
  }
  setJitter(jitter: number): void {
    this._options.jitter = jitter;
  }
}
