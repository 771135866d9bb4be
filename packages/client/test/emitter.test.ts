import { describe, expect, it } from "vitest";
import { TypedEmitter } from "../src/typed-events.js";

/** The emitter of Socket, Manager and Engine (over eventemitter3), with its protected emit opened for the tests. */
class TestEmitter extends TypedEmitter<Record<string, (...args: any[]) => void>, Record<string, (...args: any[]) => void>> {
  fire(ev: string, ...args: unknown[]): void {
    this._emitReserved(ev, ...args);
  }
}

describe("TypedEmitter", () => {
  describe("#on", () => {
    it("runs listeners in the order they were added, with the arguments and the emitter as `this`", () => {
      const emitter = new TestEmitter();
      const calls: unknown[] = [];
      emitter.on("ev", function (this: unknown, ...args: unknown[]) {
        calls.push(["first", this === emitter, ...args]);
      });
      emitter.on("ev", (...args: unknown[]) => calls.push(["second", ...args]));
      emitter.fire("ev", 1, "two");
      emitter.fire("other", 3);
      expect(calls).toEqual([
        ["first", true, 1, "two"],
        ["second", 1, "two"],
      ]);
    });

    it("gives a listener added during an emit the next emit, not this one", () => {
      const emitter = new TestEmitter();
      const calls: string[] = [];
      emitter.on("ev", () => {
        calls.push("outer");
        emitter.on("ev", () => calls.push("added"));
      });
      emitter.fire("ev");
      expect(calls).toEqual(["outer"]);
      emitter.fire("ev");
      expect(calls).toEqual(["outer", "outer", "added"]);
    });
  });

  describe("#once", () => {
    it("is listed as the function given, and off() with that function removes it", () => {
      const emitter = new TestEmitter();
      const listener = (): void => {};
      emitter.once("ev", listener);
      expect(emitter.listeners("ev")).toEqual([listener]);
      emitter.off("ev", listener);
      expect(emitter.hasListeners("ev")).toBe(false);
    });
  });

  describe("#off", () => {
    it("removes every registration of a listener, and only that listener", () => {
      const emitter = new TestEmitter();
      const calls: string[] = [];
      const a = () => calls.push("a");
      const b = () => calls.push("b");
      emitter.on("ev", a).on("ev", b).on("ev", a).once("ev", a);
      emitter.off("ev", a);
      emitter.fire("ev");
      expect(calls).toEqual(["b"]);
      expect(emitter.listeners("ev")).toEqual([b]);
    });

    it("removes every listener of an event, or every listener at all (also as removeAllListeners)", () => {
      const emitter = new TestEmitter();
      const listener = (): void => {};
      emitter.on("a", listener).on("b", listener).on("c", listener);
      emitter.off("a");
      expect([emitter.hasListeners("a"), emitter.hasListeners("b"), emitter.hasListeners("c")]).toEqual([false, true, true]);
      emitter.removeAllListeners("b");
      expect(emitter.hasListeners("b")).toBe(false);
      emitter.off();
      expect(emitter.hasListeners("c")).toBe(false);
      expect(emitter.listeners("c")).toEqual([]);
    });

    it("still runs, in the emit under way, a listener that an earlier one removed", () => {
      const emitter = new TestEmitter();
      const calls: string[] = [];
      const second = () => calls.push("second");
      emitter.on("ev", () => {
        calls.push("first");
        emitter.off("ev", second);
      });
      emitter.on("ev", second);
      emitter.fire("ev");
      emitter.fire("ev");
      expect(calls).toEqual(["first", "second", "first"]);
    });
  });

  describe("#listeners", () => {
    it("returns a copy: changing it changes nothing", () => {
      const emitter = new TestEmitter();
      const listener = (): void => {};
      emitter.on("ev", listener);
      emitter.listeners("ev").pop();
      expect(emitter.listeners("ev")).toEqual([listener]);
    });
  });
});
