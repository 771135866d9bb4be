import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { DEFAULT_OPTIONS } from "../../src/index.js";

const doc = readFileSync(fileURLToPath(new URL("../../../../docs/ERRORS.md", import.meta.url)), "utf8");
const limits = doc.slice(doc.indexOf("## Limits"));

/** The rows of the Limits table: option name -> default cell. */
function table(): Map<string, string> {
  const rows = new Map<string, string>();
  for (const match of limits.matchAll(/^\| `(\w+)` \| (.+?) \| .+ \|$/gm)) rows.set(match[1], match[2]);
  return rows;
}

/** How a default is written in the table. */
function render(value: unknown): string {
  if (value === undefined) return "`undefined` (off)";
  if (value === 0) return "`0` (unlimited)";
  if (typeof value === "object") {
    return "`{ " + Object.entries(value as Record<string, unknown>).map(([k, v]) => `${k}: ${String(v)}`).join(", ") + " }`";
  }
  return `\`${String(value)}\``;
}

const LIMIT_OPTIONS = [
  "maxPayload",
  "maxNamespacesPerConnection",
  "maxRoomsPerSocket",
  "maxPendingAcks",
  "maxConnectionsPerIp",
  "maxBufferedBytes",
  "volatileHighWaterMark",
  "rateLimit",
  "connectTimeout",
  "pingTimeout",
  "shutdown",
  "closeTimeout",
  "handshakeTimeout",
  "handledEmits",
] as const;

describe("docs/ERRORS.md Limits table", () => {
  it("lists every limit with the default DEFAULT_OPTIONS has", () => {
    const rows = table();
    for (const option of LIMIT_OPTIONS) {
      expect(rows.has(option), `${option} is in the table`).toBe(true);
      expect(rows.get(option), option).toBe(render(DEFAULT_OPTIONS[option]));
    }
  });

  it("lists no option the server lacks", () => {
    for (const option of table().keys()) expect(Object.keys(DEFAULT_OPTIONS), option).toContain(option);
  });

  it("covers every max* option of the server", () => {
    const maxOptions = Object.keys(DEFAULT_OPTIONS).filter((key) => key.startsWith("max"));
    for (const option of maxOptions) expect(table().has(option), option).toBe(true);
  });
});
