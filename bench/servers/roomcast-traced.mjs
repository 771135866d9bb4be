/**
 * roomcast with every trace on (`DEBUG=roomcast:*`), written nowhere: what tracing costs the
 * broadcast path when it is on. The roomcast row is the same server with tracing off, which costs
 * one flag read per trace point (docs/performance/FINDINGS.md, "Debug traces and the broadcast path").
 */
import { createRequire } from "node:module";
import { start as startRoomcast } from "./roomcast.mjs";

// the `debug` instance @roomcast/core loads (pnpm keeps it out of the bench's own reach)
const requireFromCore = createRequire(createRequire(import.meta.url).resolve("@roomcast/core"));
const createDebug = requireFromCore("debug");
createDebug.enable("roomcast:*");
// formatted as when on, but not written: the figure is the trace points' cost, not the terminal's
createDebug.log = () => {};

export function start(config) {
  return startRoomcast(config);
}
