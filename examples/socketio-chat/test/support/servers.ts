import type { start } from "../../src/server.js";

/**
 * Every test runs against both servers: the app as written for Socket.IO, and the same file with
 * its import pointed at roomcast.
 */
export const SERVERS = ["socket.io", "roomcast"] as const;
export type ServerName = (typeof SERVERS)[number];

export type ChatOptions = NonNullable<Parameters<typeof start>[0]>;
export type RunningChat = Awaited<ReturnType<typeof start>>;

// Imported on demand, so that one server failing to load fails its own cases only.
const entries: Record<ServerName, () => Promise<{ start: typeof start }>> = {
  "socket.io": () => import("../../src/server.js"),
  roomcast: () => import("../../src/server-roomcast.js"),
};

/** The chat on a free port of 127.0.0.1. */
export async function startChat(server: ServerName, options: ChatOptions = {}): Promise<RunningChat> {
  const { start } = await entries[server]();
  return start({ ...options, port: 0, host: "127.0.0.1" });
}
