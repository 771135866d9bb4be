import { afterEach, describe, expect, it } from "vitest";
import { type EventAtPacket, type Packet, PacketType } from "@roomcast/protocol";
import type { ServerOptions } from "../../src/index.js";
import type { RawClient } from "../support/raw-client.js";
import { startServer, waitUntil, type TestServer } from "../support/server.js";

type Connected = Packet & { type: typeof PacketType.CONNECTED };

let server: TestServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function start(recovery: ServerOptions["connectionStateRecovery"] = {}): Promise<TestServer> {
  server = await startServer({ connectionStateRecovery: recovery });
  return server;
}

function connect(client: RawClient, resume?: { pid: string; position: string }, nsp = "/"): Promise<Connected> {
  client.send(resume ? { type: PacketType.CONNECT, nsp, resume } : { type: PacketType.CONNECT, nsp });
  return client.waitFor((p) => p.type === PacketType.CONNECTED && p.nsp === nsp) as Promise<Connected>;
}

function eventsAt(client: RawClient): EventAtPacket[] {
  return client.packets.filter((p): p is EventAtPacket => p.type === PacketType.EVENT_AT);
}

/** Cuts the TCP connection under the client, as a network drop does: no close handshake. */
async function drop(client: RawClient): Promise<void> {
  client.ws.terminate();
  await client.closed;
}

describe("connection-state recovery (server)", () => {
  it("stamps broadcasts and direct emits with positions; acks and volatile packets stay plain", async () => {
    const s = await start();
    s.io.on("connection", (socket) => {
      socket.join("room");
      socket.on("go", () => {
        s.io.to("room").emit("b", 1);
        socket.emit("direct", 2);
        s.io.volatile.emit("v", 3);
        socket.emit("withAck", 4, () => {});
      });
    });
    const client = await s.client();
    const connected = await connect(client);
    expect(connected.info).toMatchObject({ recovered: false, pid: expect.any(String), position: expect.stringMatching(/:0$/) });
    client.emit("/", "go");
    await client.waitFor((p) => p.type === PacketType.EVENT && p.data[0] === "withAck");
    const kinds = client.packets.filter((p) => p.type === PacketType.EVENT || p.type === PacketType.EVENT_AT).map((p) => [p.type, (p as { data: unknown[] }).data[0]]);
    expect(kinds).toEqual([
      [PacketType.EVENT_AT, "b"],
      [PacketType.EVENT_AT, "direct"],
      [PacketType.EVENT, "v"],
      [PacketType.EVENT, "withAck"],
    ]);
    const positions = eventsAt(client).map((p) => p.position.split(":")[1]);
    expect(positions).toEqual(["1", "2"]);
  });

  it("leaves packets unstamped and CONNECTED unchanged when recovery is off", async () => {
    server = await startServer();
    server.io.on("connection", (socket) => socket.emit("hello"));
    const client = await server.client();
    const connected = await connect(client);
    expect(connected.info.pid).toBeUndefined();
    await client.waitForEvent("hello");
    expect(eventsAt(client)).toHaveLength(0);
  });

  it("restores id, rooms and data after a drop and replays what was missed, in order, once", async () => {
    const s = await start();
    let middlewareRuns = 0;
    s.io.use((_socket, next) => {
      middlewareRuns++;
      next();
    });
    const recoveredFlags: boolean[] = [];
    s.io.on("connection", (socket) => {
      recoveredFlags.push(socket.recovered);
      if (!socket.recovered) {
        socket.join("room");
        socket.data = { name: "ada" };
      }
    });
    const client = await s.client();
    const first = await connect(client);
    s.io.to("room").emit("n", 0);
    await client.waitFor((p) => p.type === PacketType.EVENT_AT);
    const position = eventsAt(client)[0].position;

    await drop(client);
    await waitUntil(() => s.io.sockets.sockets.size === 0);
    for (let i = 1; i <= 5; i++) s.io.to("room").emit("n", i);
    s.io.to("elsewhere").emit("n", -1);
    s.io.except("room").emit("n", -2);

    const again = await s.client();
    const connected = await connect(again, { pid: first.info.pid as string, position });
    expect(connected.info).toMatchObject({ sid: first.info.sid, pid: first.info.pid, recovered: true, missed: 5 });
    s.io.to("room").emit("n", 6);
    await waitUntil(() => eventsAt(again).length === 6);
    // CONNECTED comes first, then the replay, then live packets
    const after = again.packets.slice(again.packets.indexOf(connected)).filter((p) => p.type !== PacketType.HEARTBEAT);
    expect(after.map((p) => (p.type === PacketType.CONNECTED ? "connected" : (p as EventAtPacket).data[1]))).toEqual(["connected", 1, 2, 3, 4, 5, 6]);
    expect(recoveredFlags).toEqual([false, true]);
    expect(middlewareRuns).toBe(1);
    const socket = s.io.sockets.sockets.get(first.info.sid)!;
    expect(socket.recovered).toBe(true);
    expect(socket.data).toEqual({ name: "ada" });
    expect([...socket.rooms].sort()).toEqual([first.info.sid, "room"].sort());
  });

  it("replays direct emits made while the socket was away", async () => {
    const s = await start();
    const client = await s.client();
    const first = await connect(client);
    const sid = first.info.sid;
    await drop(client);
    await waitUntil(() => s.io.sockets.sockets.size === 0);
    // another socket still targets the dropped one by its id room
    s.io.to(sid).emit("dm", "while away");
    const again = await s.client();
    const connected = await connect(again, { pid: first.info.pid as string, position: first.info.position as string });
    expect(connected.info).toMatchObject({ recovered: true, missed: 1 });
    await waitUntil(() => eventsAt(again).length === 1);
    expect(eventsAt(again)[0].data).toEqual(["dm", "while away"]);
  });

  it("shows the kept session in debugCounts until it is taken back", async () => {
    const s = await start();
    const client = await s.client();
    const first = await connect(client);
    s.io.emit("n", 1);
    await drop(client);
    await waitUntil(() => s.io.sockets.sockets.size === 0);
    expect(s.io.debugCounts()).toMatchObject({ sockets: 0, recoverySessions: 1, recoveryPackets: 1 });
    const again = await s.client();
    await connect(again, { pid: first.info.pid as string, position: first.info.position as string });
    expect(s.io.debugCounts()).toMatchObject({ sockets: 1, recoverySessions: 0 });
  });

  it("resumes at once after the first connect, before any message", async () => {
    const s = await start();
    const client = await s.client();
    const first = await connect(client);
    await drop(client);
    await waitUntil(() => s.io.sockets.sockets.size === 0);
    const again = await s.client();
    const connected = await connect(again, { pid: first.info.pid as string, position: first.info.position as string });
    expect(connected.info).toMatchObject({ sid: first.info.sid, recovered: true, missed: 0 });
  });

  describe("falls back to a fresh session", () => {
    async function resumeAfter(s: TestServer, mutate: (resume: { pid: string; position: string }) => void, between?: () => void | Promise<void>): Promise<Connected["info"]> {
      const client = await s.client();
      const first = await connect(client);
      await drop(client);
      await waitUntil(() => s.io.sockets.sockets.size === 0);
      await between?.();
      const resume = { pid: first.info.pid as string, position: first.info.position as string };
      mutate(resume);
      const again = await s.client();
      const connected = await connect(again, resume);
      expect(connected.info.sid).not.toBe(first.info.sid);
      expect(connected.info.pid).not.toBe(first.info.pid);
      return connected.info;
    }

    it("for an unknown session", async () => {
      const s = await start();
      const info = await resumeAfter(s, (resume) => (resume.pid = "nobody"));
      expect(info).toMatchObject({ recovered: false, position: expect.any(String) });
      expect(s.io.sockets.recovery!.stats).toMatchObject({ persisted: 1, recovered: 0, failed: 1 });
    });

    it("for a position of another epoch (a restarted server)", async () => {
      const s = await start();
      const info = await resumeAfter(s, (resume) => (resume.position = "other:0"));
      expect(info.recovered).toBe(false);
    });

    it("when the packets after the position were trimmed", async () => {
      const s = await start({ maxPackets: 5 });
      let recovered: boolean | undefined;
      s.io.on("connection", (socket) => (recovered = socket.recovered));
      const info = await resumeAfter(s, () => {}, () => {
        for (let i = 0; i < 20; i++) s.io.emit("n", i);
      });
      expect(info.recovered).toBe(false);
      expect(recovered).toBe(false);
    });

    it("when the session expired", async () => {
      const s = await start({ maxDisconnectionDuration: 50 });
      // the session is kept for 50 ms only: wait that out before resuming
      const info = await resumeAfter(s, () => {}, () => new Promise((resolve) => setTimeout(resolve, 300)));
      expect(info.recovered).toBe(false);
    });

    it("when the client left the namespace on purpose", async () => {
      const s = await start();
      const client = await s.client();
      const first = await connect(client);
      client.send({ type: PacketType.DISCONNECT, nsp: "/" });
      await waitUntil(() => s.io.sockets.sockets.size === 0);
      const connected = await connect(client, { pid: first.info.pid as string, position: first.info.position as string });
      expect(connected.info.recovered).toBe(false);
    });
  });

  it("runs the middleware again when skipMiddlewares is false", async () => {
    const s = await start({ skipMiddlewares: false });
    const seen: boolean[] = [];
    s.io.use((socket, next) => {
      seen.push(socket.recovered);
      next();
    });
    const client = await s.client();
    const first = await connect(client);
    await drop(client);
    await waitUntil(() => s.io.sockets.sockets.size === 0);
    const again = await s.client();
    const connected = await connect(again, { pid: first.info.pid as string, position: first.info.position as string });
    expect(connected.info.recovered).toBe(true);
    expect(seen).toEqual([false, true]);
  });
});

describe("connection-state recovery (server), large gaps", () => {
  it("gives a fresh session rather than a replay the connection could not take (maxBufferedBytes)", async () => {
    const s = await start();
    const client = await s.client();
    const first = await connect(client);
    await drop(client);
    await waitUntil(() => s.io.sockets.sockets.size === 0);
    // 2 x 400 KB: more than half of the default 1 MiB outbound limit
    const big = "x".repeat(400_000);
    s.io.emit("big", big);
    s.io.emit("big", big);
    const again = await s.client();
    const connected = await connect(again, { pid: first.info.pid as string, position: first.info.position as string });
    expect(connected.info.recovered).toBe(false);
    expect(again.closeInfo).toBeUndefined();
  });
});
