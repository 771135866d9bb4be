import { accessSync, constants } from "node:fs";
import { delimiter, join } from "node:path";

/** The Debian package that provides each external program the demo runs. */
export const DEBIAN_PACKAGES = {
  "redis-server": "redis-server",
  haproxy: "haproxy",
  chromium: "chromium",
} as const;
export type ExternalTool = keyof typeof DEBIAN_PACKAGES;

/** Full path of `name` on PATH, or null. */
export function findExecutable(name: string, path = process.env.PATH ?? ""): string | null {
  for (const dir of path.split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {}
  }
  return null;
}

/** Tools from `wanted` that are not installed. */
export function missingTools(wanted: readonly ExternalTool[]): ExternalTool[] {
  return wanted.filter((tool) => findExecutable(tool) === null);
}

/** One message naming what is missing and the exact command that installs it. */
export function installHint(missing: readonly ExternalTool[]): string {
  const packages = [...new Set(missing.map((tool) => DEBIAN_PACKAGES[tool]))].join(" ");
  return (
    `missing: ${missing.join(", ")}. Install with:\n` +
    `  sudo apt-get update && sudo apt-get install -y ${packages}\n` +
    `(as root, drop "sudo"; on other systems install the ${packages} package(s) from your package manager)`
  );
}
