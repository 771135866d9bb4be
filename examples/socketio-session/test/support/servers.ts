import type { start } from "../../src/server.js";

/**
 * Every test runs against both servers: the app as written for Socket.IO, and the same file with
 * its import pointed at roomcast.
 */
export const SERVERS = ["socket.io", "roomcast"] as const;
export type ServerName = (typeof SERVERS)[number];

export type RunningApp = Awaited<ReturnType<typeof start>>;

// Imported on demand, so that one server failing to load fails its own cases only.
const entries: Record<ServerName, () => Promise<{ start: typeof start }>> = {
  "socket.io": () => import("../../src/server.js"),
  roomcast: () => import("../../src/server-roomcast.js"),
};

/** The app on a free port of 127.0.0.1. */
export async function startApp(server: ServerName): Promise<RunningApp> {
  const { start } = await entries[server]();
  return start({ port: 0, host: "127.0.0.1" });
}

/** The demo account. */
export const ALICE = { username: "alice", password: "wonderland", displayName: "Alice" };
