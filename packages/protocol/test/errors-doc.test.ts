import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { CloseCode, ErrorCode } from "@roomcast/protocol";

const doc = readFileSync(fileURLToPath(new URL("../../../docs/ERRORS.md", import.meta.url)), "utf8");

describe("docs/ERRORS.md", () => {
  it("documents every close code with its name", () => {
    for (const [name, code] of Object.entries(CloseCode)) {
      expect(doc, `close code ${code}`).toMatch(new RegExp(`\\| ${code} \\| \`${name}\` \\|`));
    }
  });

  it("documents every error code", () => {
    for (const code of Object.values(ErrorCode)) expect(doc, code).toContain(`| \`${code}\` |`);
  });

  it("documents no code the module lacks", () => {
    const known = new Set<string>(Object.values(ErrorCode));
    const documented = [...doc.matchAll(/\| `(ERR_[A-Z_]+)` \|/g)].map((m) => m[1]);
    expect(documented.filter((code) => !known.has(code))).toEqual([]);
    const closeCodes = new Set<number>(Object.values(CloseCode));
    const documentedClose = [...doc.matchAll(/^\| (\d{4}) \|/gm)].map((m) => Number(m[1]));
    expect(documentedClose.filter((code) => !closeCodes.has(code))).toEqual([]);
  });
});
