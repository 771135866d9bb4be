import { describe, expect, it } from "vitest";
import { TokenBucket, validateRateLimit } from "../../src/connection/rate-limiter.js";

function takeAll(bucket: TokenBucket, now: number): number {
  let taken = 0;
  while (bucket.take(now)) taken++;
  return taken;
}

describe("TokenBucket", () => {
  it("starts full: burst tokens, then refuses", () => {
    const bucket = new TokenBucket(10, 5, 0);
    expect(takeAll(bucket, 0)).toBe(5);
    expect(bucket.take(0)).toBe(false);
  });

  it("refills from timestamps at eventsPerSecond", () => {
    const bucket = new TokenBucket(10, 5, 0);
    takeAll(bucket, 0);
    expect(bucket.take(99)).toBe(false); // 0.99 tokens
    expect(bucket.take(100)).toBe(true); // 1 token after 100 ms at 10/s
    expect(bucket.take(100)).toBe(false);
    expect(takeAll(bucket, 400)).toBe(3);
  });

  it("never holds more than burst, however long it was idle", () => {
    const bucket = new TokenBucket(1000, 3, 0);
    expect(takeAll(bucket, 3_600_000)).toBe(3);
  });

  it("ignores a clock that goes backwards", () => {
    const bucket = new TokenBucket(10, 2, 1000);
    takeAll(bucket, 1000);
    expect(bucket.take(500)).toBe(false);
    expect(bucket.take(1100)).toBe(true);
  });
});

describe("validateRateLimit", () => {
  it("accepts undefined (off) and sane settings", () => {
    expect(() => validateRateLimit(undefined)).not.toThrow();
    expect(() => validateRateLimit({ eventsPerSecond: 50, burst: 100, onExceeded: "drop" })).not.toThrow();
  });

  it("refuses rates and bursts that could never admit an event", () => {
    expect(() => validateRateLimit({ eventsPerSecond: -1, burst: 10, onExceeded: "drop" })).toThrow(RangeError);
    expect(() => validateRateLimit({ eventsPerSecond: 10, burst: 0.5, onExceeded: "drop" })).toThrow(RangeError);
    expect(() => validateRateLimit({ eventsPerSecond: Number.NaN, burst: 10, onExceeded: "disconnect" })).toThrow(RangeError);
  });
});
