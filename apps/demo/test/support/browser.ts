import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { type Browser, chromium } from "playwright-core";
import { CHROMIUM_PATH } from "./system-tools.js";

/** Debian's chromium, headless, with everything that would phone home or need a GPU turned off. */
export function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    timeout: 30_000,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
}

const RESULTS = fileURLToPath(new URL("../../test-results/", import.meta.url));

/** Where a suite's screenshots go: apps/demo/test-results/<suite>/ (kept by CI as artifacts). */
export function screenshotDir(suite: string): string {
  const dir = join(RESULTS, suite);
  mkdirSync(dir, { recursive: true });
  return dir;
}
