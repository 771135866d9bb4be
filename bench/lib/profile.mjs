/** Summarises a V8 .cpuprofile (from `node --cpu-prof`): the frames with the most self time. */
import { readFileSync } from "node:fs";

export function topFrames(file, limit = 12) {
  const profile = JSON.parse(readFileSync(file, "utf8"));
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  // Samples taken inside the inspector calls that start and stop this profile are not the server's work.
  const own = new Set();
  const mark = (node, inside) => {
    const here = inside || node.callFrame.url === "node:inspector";
    if (here) own.add(node.id);
    for (const child of node.children ?? []) mark(byId.get(child), here);
  };
  mark(profile.nodes[0], false);
  const self = new Map();
  const modules = new Map();
  let total = 0;
  for (let i = 0; i < profile.samples.length; i++) {
    const dt = profile.timeDeltas[i] ?? 0;
    const node = byId.get(profile.samples[i]);
    if (!node || own.has(node.id)) continue;
    const { functionName, url, lineNumber } = node.callFrame;
    const where = url ? `${url.replace(/^file:\/\//, "").replace(/^.*\/node_modules\/\.pnpm\/[^/]+\/node_modules\//, "").replace(/^.*\/work\/main\//, "")}:${lineNumber + 1}` : "";
    const key = `${functionName || "(anonymous)"} ${where}`.trim();
    self.set(key, (self.get(key) ?? 0) + dt);
    if (functionName !== "(idle)") {
      const mod = moduleOf(url, where);
      modules.set(mod, (modules.get(mod) ?? 0) + dt);
    }
    total += dt;
  }
  // Shares are of busy time: waiting for the next event is not a cost of the server.
  const idle = self.get("(idle)") ?? 0;
  self.delete("(idle)");
  const busy = total - idle;
  return {
    totalMs: total / 1000,
    busyMs: busy / 1000,
    frames: [...self.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, limit)
      .map(([frame, us]) => ({ frame, selfMs: us / 1000, share: us / busy })),
    modules: [...modules.entries()].sort((a, b) => b[1] - a[1]).map(([module, us]) => ({ module, selfMs: us / 1000, share: us / busy })),
  };
}

/** Which part of the stack a frame belongs to, for the per-module rollup. */
function moduleOf(url, where) {
  if (!url) return "native (syscalls, GC, V8)";
  if (url.startsWith("node:")) return "node core";
  const pkg = where.match(/^packages\/([^/]+)\//);
  if (pkg) return `@roomcast/${pkg[1]}`;
  const dep = where.match(/^((?:@[^/]+\/)?[^/]+)\//);
  if (dep) return dep[1];
  return "other";
}
