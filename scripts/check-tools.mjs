// Preflight for `pnpm test`: the suite runs real Redis, a real load balancer and a real browser.
// Say plainly what is missing instead of letting tests fail one by one.
import { spawnSync } from "node:child_process";

const tools = [
  { bin: "redis-server", pkg: "redis-server", why: "Redis adapter, cluster and recovery tests" },
  { bin: "redis-cli", pkg: "redis-tools", why: "Redis Cluster test (cluster create)" },
  { bin: "haproxy", pkg: "haproxy", why: "demo cluster end-to-end tests, sticky-session tests (load balancer)" },
  { bin: "nginx", pkg: "nginx", why: "nginx deployment tests (load balancer, TLS termination)" },
  { bin: process.env.CHROMIUM_PATH ?? "chromium", pkg: "chromium", why: "browser end-to-end tests" },
];

const missing = tools.filter(({ bin }) => spawnSync("sh", ["-c", `PATH="$PATH:/usr/sbin:/sbin" command -v ${bin}`]).status !== 0);
if (missing.length > 0) {
  console.error("The test suite needs system tools that are not installed:");
  for (const t of missing) console.error(`  - ${t.bin} (${t.why})`);
  const pkgs = [...new Set(missing.map((t) => t.pkg))].join(" ");
  console.error(`\nInstall them with:\n  sudo apt-get update && sudo apt-get install -y ${pkgs}\n`);
  process.exit(1);
}
