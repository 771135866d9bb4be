import { describe, expectTypeOf, it } from "vitest";
import type { SUPPORTED } from "../src/client-options.js";
import type { ClientOptions } from "../src/index.js";

describe("option table", () => {
  it("has exactly the keys of ClientOptions, so the type and the runtime check cannot drift apart", () => {
    expectTypeOf<keyof typeof SUPPORTED>().toEqualTypeOf<keyof ClientOptions>();
  });
});
