import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { type DebugCounts, Server, type Socket } from "../../../src/index.js";
import { memoryLogger } from "../../support/server.js";
import { fail } from "../checks.js";

/*
 * The server the live targets fuzz: the packet handlers a real app has (acks both ways, rooms,
 * broadcasts, recovery, middleware, dynamic namespaces) so that generated packets reach them, on
 * 127.0.0.1 with limits small enough that generated cases reach them too.
 */

/** Event names the handlers below listen to; the generators aim most events at them. */
export const FUZZ_EVENTS = ["echo", "join", "leave", "room", "broadcast", "ask", "volatile", "bye", "data", "message"];
/** Namespaces: served, guarded by middleware, slow to admit, dynamic (a new child per name), unknown. */
export const FUZZ_NAMESPACES = ["/", "/admin", "/slow", "/dyn-1", "/dyn-2", "/nowhere"];

export const FUZZ_LIMITS = {
  maxPayload: 32 * 1024,
  maxNamespacesPerConnection: 6,
  recovery: { maxDisconnectionDuration: 1000, maxPackets: 500 },
} as const;

const room = (value: unknown): string | undefined => (typeof value === "string" && value.length <= 64 ? value : undefined);

function serve(socket: Socket): void {
  // with recovery on, a direct emit is stamped with a position: a resuming client has something to miss
  socket.emit("welcome", socket.id);
  socket.on("echo", (...args: unknown[]) => {
    const ack = args.at(-1);
    if (typeof ack === "function") ack(...args.slice(0, -1));
    else socket.emit("echo", ...args);
  });
  socket.on("join", (name: unknown) => {
    const joined = room(name);
    // past maxRoomsPerSocket join throws; that is the app's business, not a server failure
    if (joined !== undefined) {
      try {
        void socket.join(joined);
      } catch {}
    }
  });
  socket.on("leave", (name: unknown) => {
    const left = room(name);
    if (left !== undefined) void socket.leave(left);
  });
  socket.on("room", (name: unknown, ...args: unknown[]) => {
    const target = room(name);
    if (target !== undefined) socket.nsp.to(target).emit("news", ...args.filter((arg) => typeof arg !== "function"));
  });
  socket.on("broadcast", (...args: unknown[]) => socket.broadcast.emit("news", ...args.filter((arg) => typeof arg !== "function")));
  // the server waits for the client's ack: generated ACK packets may answer it, or not
  socket.on("ask", (...args: unknown[]) => socket.timeout(300).emit("question", ...args.filter((arg) => typeof arg !== "function"), () => {}));
  socket.on("volatile", (...args: unknown[]) => socket.volatile.emit("tick", ...args.filter((arg) => typeof arg !== "function")));
  socket.on("bye", () => socket.disconnect());
  socket.on("data", (value: unknown) => {
    socket.data = value;
  });
  socket.onAny(() => {});
}

export interface FuzzServer {
  io: Server;
  port: number;
  /** What a process-level failure or a logged server error looked like, since the last `takeTrouble`. */
  takeTrouble(): string | undefined;
  close(): Promise<void>;
}

export async function startFuzzServer(socketio: boolean): Promise<FuzzServer> {
  const http = createServer();
  const logger = memoryLogger();
  const io = new Server(http, {
    logger,
    maxPayload: FUZZ_LIMITS.maxPayload,
    maxNamespacesPerConnection: FUZZ_LIMITS.maxNamespacesPerConnection,
    cleanupEmptyChildNamespaces: true,
    connectionStateRecovery: FUZZ_LIMITS.recovery,
    socketio,
  });
  io.on("connection", serve);
  io.of("/admin")
    .use((socket, next) => {
      if ((socket.handshake.auth as { token?: unknown }).token === "s3cret") return next();
      next(Object.assign(new Error("not authorized"), { data: { hint: "send a token" } }));
    })
    .on("connection", serve);
  io.of("/slow")
    .use((_socket, next) => setTimeout(next, 5))
    .on("connection", serve);
  io.of(/^\/dyn-\d$/).on("connection", serve);
  const crashes: unknown[] = [];
  const onCrash = (err: unknown): void => {
    crashes.push(err);
  };
  process.on("uncaughtException", onCrash);
  process.on("unhandledRejection", onCrash);
  let errorsSeen = 0;
  await new Promise<void>((resolve) => http.listen(0, "127.0.0.1", resolve));
  return {
    io,
    port: (http.address() as AddressInfo).port,
    takeTrouble() {
      if (crashes.length > 0) return `the process had an uncaught error: ${String(crashes.splice(0)[0])}`;
      if (logger.errors.length > errorsSeen) {
        const first = logger.errors[errorsSeen];
        errorsSeen = logger.errors.length;
        return `the server logged an error: ${first instanceof Error ? first.stack : String(first)}`;
      }
      return undefined;
    },
    async close() {
      process.off("uncaughtException", onCrash);
      process.off("unhandledRejection", onCrash);
      await io.close();
      http.closeAllConnections();
    },
  };
}

/** The counts that must return to where they were once a case's connections are gone. */
type SteadyCounts = Omit<DebugCounts, "recoveryPackets" | "recoverySessions">;

function steady(counts: DebugCounts): SteadyCounts {
  const { recoveryPackets: _packets, recoverySessions: _sessions, ...rest } = counts;
  return rest;
}

/**
 * Waits until every per-connection count is back at `baseline` (recovery state excepted: it is
 * kept on purpose, bounded by count and age, and checked at the end). Fails after `ms`.
 */
export async function expectSettled(io: Server, baseline: DebugCounts, ms = 3000): Promise<void> {
  const want = JSON.stringify(steady(baseline));
  const deadline = Date.now() + ms;
  for (;;) {
    const now = io.debugCounts();
    if (JSON.stringify(steady(now)) === want) break;
    if (Date.now() > deadline) fail(`server state did not return to its baseline after the case: ${JSON.stringify(steady(now))}, baseline ${want}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  const { recoveryPackets, recoverySessions } = io.debugCounts();
  // every namespace keeps at most maxPackets; sessions expire after maxDisconnectionDuration
  if (recoveryPackets > FUZZ_LIMITS.recovery.maxPackets * FUZZ_NAMESPACES.length) fail(`recovery keeps ${recoveryPackets} packets`);
  if (recoverySessions > 20_000) fail(`recovery keeps ${recoverySessions} sessions`);
}

/** At the end of a run: recovery state drains once sessions expire. */
export async function expectDrained(io: Server): Promise<void> {
  const deadline = Date.now() + 3 * FUZZ_LIMITS.recovery.maxDisconnectionDuration + 2000;
  while (io.debugCounts().recoverySessions > 0) {
    if (Date.now() > deadline) fail(`${io.debugCounts().recoverySessions} recovery sessions outlived maxDisconnectionDuration`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
