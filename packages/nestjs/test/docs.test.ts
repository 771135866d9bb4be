import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { TOO_MANY_PENDING_REPLIES } from "../src/index.js";

const read = (path: string): string => readFileSync(fileURLToPath(new URL(path, import.meta.url)), "utf8");

describe("documentation", () => {
  it("docs/ERRORS.md documents the adapter's error code", () => {
    expect(read("../../../docs/ERRORS.md")).toContain(`- \`${TOO_MANY_PENDING_REPLIES}\`: `);
  });

  it("the README's options table lists the adapter's own options with their defaults", () => {
    const readme = read("../README.md");
    expect(readme).toContain("| `maxPendingReplies` | `1000` |");
    expect(readme).toContain("| `socketio` | off |");
  });
});
