import { readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const DEMO_ROOT = fileURLToPath(new URL("../../", import.meta.url));
const BUILD_COMMAND = "pnpm turbo run build --filter=@roomcast/demo...";

export interface DemoBuild {
  /** node runs this: the demo server compiled by tsc. */
  serverEntry: string;
}

/**
 * The end-to-end tests run the demo exactly as users do: the compiled server serving the vite
 * build. `pnpm test` builds first; run alone, a missing or outdated build fails with the
 * command to run instead of testing old code.
 */
export function demoBuild(): DemoBuild {
  const serverEntry = join(DEMO_ROOT, "dist/server/main.js");
  const webIndex = join(DEMO_ROOT, "dist/web/index.html");
  const builtAt = Math.min(mtime(serverEntry), mtime(webIndex));
  if (!Number.isFinite(builtAt)) throw new Error(`the demo is not built. Run: ${BUILD_COMMAND}`);
  const changedAt = newestMtime(join(DEMO_ROOT, "src"));
  if (changedAt > builtAt) throw new Error(`the demo build is older than its sources. Run: ${BUILD_COMMAND}`);
  return { serverEntry };
}

function mtime(path: string): number {
  try {
    return statSync(path).mtimeMs;
  } catch {
    return Number.NaN;
  }
}

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(path) : statSync(path).mtimeMs);
  }
  return newest;
}
