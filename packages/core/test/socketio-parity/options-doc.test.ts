import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { DEFAULT_OPTIONS } from "../../src/index.js";
import { OPTION_TABLE } from "../../src/server/option-table.js";

const readme = readFileSync(fileURLToPath(new URL("../../README.md", import.meta.url)), "utf8");
const section = readme.slice(readme.indexOf("## Options"), readme.indexOf("### CORS and origins"));

/** The README's option rows: name -> [from, decision, default]. */
function rows(): Map<string, [string, string, string]> {
  const found = new Map<string, [string, string, string]>();
  for (const match of section.matchAll(/^\| `(\w+)` \| ([\w.]+) \| (\w+) \| (.*?) \|/gm)) found.set(match[1], [match[2], match[3], match[4]]);
  return found;
}

describe("packages/core/README.md, Options", () => {
  it("lists every option of the option table with its source and decision", () => {
    const documented = rows();
    for (const [name, rule] of Object.entries(OPTION_TABLE)) {
      expect(documented.get(name)?.slice(0, 2), name).toEqual([rule.source, rule.decision]);
    }
  });

  it("lists no option the table lacks", () => {
    expect([...rows().keys()].filter((name) => !(name in OPTION_TABLE))).toEqual([]);
  });

  it("gives the default of every numeric and boolean option as DEFAULT_OPTIONS has it", () => {
    const documented = rows();
    for (const [name, value] of Object.entries(DEFAULT_OPTIONS)) {
      if (typeof value !== "number" && typeof value !== "boolean") continue;
      const cell = documented.get(name)?.[2] ?? "";
      const shown = cell.match(/^`([^`]+)`/)?.[1];
      expect(shown === undefined ? undefined : Number.isNaN(Number(shown)) ? shown : Number(shown), name).toBe(
        typeof value === "boolean" ? String(value) : value,
      );
    }
  });
});
