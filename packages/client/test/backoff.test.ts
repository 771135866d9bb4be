import { afterEach, describe, expect, it, vi } from "vitest";
import { Backoff } from "../src/backoff.js";

describe("Backoff", () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  describe("#duration", () => {
    it("doubles the cap per attempt up to the maximum", () => {
      const backoff = new Backoff({ min: 100, max: 1000, jitter: 0 });
      expect([1, 2, 3, 4, 5, 6].map(() => backoff.duration())).toEqual([100, 200, 400, 800, 1000, 1000]);
      expect(backoff.attempts).toBe(6);
    });

    it("draws full jitter from [0, cap] by default factor 1", () => {
      const draws = [0, 0.5, 0.999];
      const backoff = new Backoff({ min: 1000, max: 5000, jitter: 1, random: () => draws.shift()! });
      expect(backoff.duration()).toBe(1000); // cap 1000, random 0
      expect(backoff.duration()).toBe(1000); // cap 2000, random 0.5
      expect(backoff.duration()).toBe(4); // cap 4000, random 0.999
    });

    it("keeps delays within [cap * (1 - factor), cap] for a partial factor", () => {
      const backoff = new Backoff({ min: 1000, max: 5000, jitter: 0.5, random: () => 1 });
      expect(backoff.duration()).toBe(500);
      expect(backoff.duration()).toBe(1000);
    });

    it("stays finite after very many attempts", () => {
      const backoff = new Backoff({ min: 0, max: 5000, jitter: 0 });
      for (let i = 0; i < 2000; i++) expect(Number.isFinite(backoff.duration())).toBe(true);
      const nonzero = new Backoff({ min: 10, max: 5000, jitter: 0 });
      for (let i = 0; i < 2000; i++) nonzero.duration();
      expect(nonzero.duration()).toBe(5000);
    });
  });

  describe("#schedule", () => {
    it("runs the callback after the drawn delay", () => {
      vi.useFakeTimers();
      const backoff = new Backoff({ min: 100, max: 1000, jitter: 1, random: () => 0.25 });
      const callback = vi.fn();
      expect(backoff.schedule(callback)).toBe(75);
      expect(backoff.pending).toBe(true);
      vi.advanceTimersByTime(74);
      expect(callback).not.toHaveBeenCalled();
      vi.advanceTimersByTime(1);
      expect(callback).toHaveBeenCalledTimes(1);
      expect(backoff.pending).toBe(false);
      expect(backoff.schedule(callback)).toBe(150);
    });

    it("cancel drops the pending callback and reset starts over", () => {
      vi.useFakeTimers();
      const backoff = new Backoff({ min: 100, max: 1000, jitter: 0 });
      const callback = vi.fn();
      backoff.schedule(callback);
      backoff.cancel();
      vi.advanceTimersByTime(10_000);
      expect(callback).not.toHaveBeenCalled();
      expect(backoff.attempts).toBe(1);
      backoff.schedule(callback);
      backoff.reset();
      expect(backoff.attempts).toBe(0);
      expect(vi.getTimerCount()).toBe(0);
    });
  });
});
