/** Summarises a V8 .cpuprofile (from `node --cpu-prof`): the frames with the most self time. */
import { readFileSync } from "node:fs";

export function topFrames(file, limit = 12) {
  const profile = JSON.parse(readFileSync(file, "utf8"));
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map();
  let total = 0;
  for (let i = 0; i < profile.samples.length; i++) {
    const dt = profile.timeDeltas[i] ?? 0;
    const node = byId.get(profile.samples[i]);
    if (!node) continue;
    const { functionName, url, lineNumber } = node.callFrame;
    const where = url ? `${url.replace(/^file:\/\//, "").replace(/^.*\/node_modules\/\.pnpm\/[^/]+\/node_modules\//, "").replace(/^.*\/work\/main\//, "")}:${lineNumber + 1}` : "";
    const key = `${functionName || "(anonymous)"} ${where}`.trim();
    self.set(key, (self.get(key) ?? 0) + dt);
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
  };
}
