import { describe, expect, it } from "vitest";
import { differingOptions, sameOptionValue } from "../src/option-comparison.js";

describe("sameOptionValue", () => {
  it("compares plain data by content", () => {
    expect(sameOptionValue({ origin: ["https://a.example"], credentials: true }, { credentials: true, origin: ["https://a.example"] })).toBe(true);
    expect(sameOptionValue({ origin: ["https://a.example"] }, { origin: ["https://b.example"] })).toBe(false);
    expect(sameOptionValue(["polling", "websocket"], ["websocket", "polling"])).toBe(false);
    expect(sameOptionValue(/^\/team-\d+$/, /^\/team-\d+$/)).toBe(true);
    expect(sameOptionValue(/a/i, /a/)).toBe(false);
  });

  it("compares functions, classes and other objects by identity", () => {
    const logger = { warn() {}, error() {} };
    expect(sameOptionValue(logger, logger)).toBe(true);
    expect(sameOptionValue(() => true, () => true)).toBe(false);
    class Adapter {}
    expect(sameOptionValue(new Adapter(), new Adapter())).toBe(false);
  });

  it("treats an option set to undefined as not given", () => {
    expect(sameOptionValue({ a: 1, b: undefined }, { a: 1 })).toBe(true);
    expect(differingOptions({ cors: undefined, pingInterval: 5000 }, { pingInterval: 5000, path: "/x" })).toEqual([]);
    expect(differingOptions({ pingInterval: 4000 }, { pingInterval: 5000 })).toEqual(["pingInterval"]);
  });
});
