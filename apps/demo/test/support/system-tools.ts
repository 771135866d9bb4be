import { accessSync, constants } from "node:fs";
import { findExecutable } from "../../src/cluster/required-tools.js";

/** The one command that installs everything the end-to-end tests run. */
export const E2E_INSTALL_COMMAND = "apt-get install -y chromium haproxy redis-server";

/** Debian's chromium, or CHROMIUM_PATH. */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

type Tool = "chromium" | "haproxy" | "redis-server";

/**
 * Fails (never skips) when a program the tests need is missing, naming the install command:
 * a skipped end-to-end test looks green and proves nothing.
 */
export function requireTools(tools: Tool[]): void {
  const missing = tools.filter((tool) => (tool === "chromium" ? !isExecutable(CHROMIUM_PATH) : findExecutable(tool) === null));
  if (missing.length === 0) return;
  const where = missing.map((tool) => (tool === "chromium" ? `chromium (looked for ${CHROMIUM_PATH})` : tool)).join(", ");
  throw new Error(`end-to-end tests need ${where}. Install with: apt-get update && ${E2E_INSTALL_COMMAND}`);
}

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}
