import { describe, expect, it } from "vitest";
import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");

describe("browser bundle", () => {
  it("builds JSON-only and msgpack bundles without Node modules and records their sizes", async () => {
    await promisify(execFile)(process.execPath, [join(root, "scripts", "bundle.mjs")], { cwd: root, timeout: 60_000 });
    const json = readFileSync(join(root, "dist/browser/roomcast.min.js"), "utf8");
    const msgpack = readFileSync(join(root, "dist/browser/roomcast-msgpack.min.js"), "utf8");
    for (const code of [json, msgpack]) {
      expect(code).not.toMatch(/from\s*["'](ws|node:[^"']*)["']/);
      expect(code).not.toMatch(/require\(\s*["'](ws|node:)/);
      expect(code).not.toContain("websocket-node");
    }
        const sizes = JSON.parse(readFileSync(join(root, "dist/browser/sizes.json"), "utf8"));
    expect(sizes["roomcast.min.js"].gzip).toBeGreaterThan(0);
    // msgpackr (tens of KB) is only in the msgpack bundle
    expect(sizes["roomcast-msgpack.min.js"].min).toBeGreaterThan(sizes["roomcast.min.js"].min + 15_000);
  });
});
