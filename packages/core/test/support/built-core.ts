import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const packagesDir = fileURLToPath(new URL("../../..", import.meta.url));

function newestSource(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestSource(path) : statSync(path).mtimeMs);
  }
  return newest;
}

/**
 * Child processes run plain Node, so they load the built package. Builds it when dist is missing
 * or older than the sources, so a test never runs a stale server.
 */
export function ensureBuiltCore(): void {
  // core imports protocol: build that first.
  for (const name of ["protocol", "core"]) ensureBuilt(join(packagesDir, name));
}

function ensureBuilt(packageDir: string): void {
  const entry = join(packageDir, "dist", "index.js");
  if (existsSync(entry) && statSync(entry).mtimeMs >= newestSource(join(packageDir, "src"))) return;
  const tsc = fileURLToPath(new URL("../../../../node_modules/typescript/bin/tsc", import.meta.url));
  try {
    execFileSync(process.execPath, [tsc, "-p", join(packageDir, "tsconfig.build.json")], { stdio: "pipe" });
  } catch {
    // Type errors still emit JavaScript; a missing entry point is what matters.
  }
  if (!existsSync(entry)) throw new Error(`could not build ${packageDir}: run \`pnpm turbo run build --filter=@roomcast/core\``);
}
