import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const packagesDir = fileURLToPath(new URL("../../..", import.meta.url));
const tsc = fileURLToPath(new URL("../../../../node_modules/typescript/bin/tsc", import.meta.url));

function newestSource(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestSource(path) : statSync(path).mtimeMs);
  }
  return newest;
}

/**
 * Child processes run plain Node, so they load the built packages (dist). Builds each of `names`
 * (in dependency order) whose dist is missing or older than its sources, so a test never runs a
 * stale build and never skips for want of one.
 */
export function ensureBuilt(names: readonly string[]): void {
  for (const name of names) {
    const packageDir = join(packagesDir, name);
    const entry = join(packageDir, "dist", "index.js");
    if (existsSync(entry) && statSync(entry).mtimeMs >= newestSource(join(packageDir, "src"))) continue;
    try {
      execFileSync(process.execPath, [tsc, "-p", join(packageDir, "tsconfig.build.json")], { stdio: "pipe" });
    } catch {
      // Type errors still emit JavaScript; a missing entry point is what matters.
    }
    if (!existsSync(entry)) throw new Error(`could not build packages/${name}: run \`pnpm turbo run build\``);
  }
}
