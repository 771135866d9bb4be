import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { REFERENCE, startConformanceServer, type ConformanceServer } from "../../support/conformance-server.js";
import { EngineIoSocket, PollingSession, sleep } from "../../support/engine-io-peer.js";

/*
 * Engine.IO protocol v4, "Heartbeat": the server pings ("2") every pingInterval and ends a session
 * whose pong ("3") does not come within pingTimeout. And closing: a close packet ("1") from the
 * client ends the session over either transport.
 */

let server: ConformanceServer;
beforeAll(async () => {
  server = await startConformanceServer();
});
afterAll(() => server.close());

const { pingInterval, pingTimeout } = REFERENCE;

describe("Engine.IO heartbeat", () => {
  describe("over long-polling", () => {
    it("pings every pingInterval and keeps a session that answers", async () => {
      // A pingTimeout well above pingInterval, so that "every pingInterval" and "every
      // pingInterval + pingTimeout" stay apart by more than a loaded machine's timer delays.
      const slow = await startConformanceServer({ pingInterval: 400, pingTimeout: 1500, connectTimeout: 10_000 });
      try {
        const session = await PollingSession.start(slow.httpBase);
        let last = Date.now();
        for (let i = 0; i < 3; i++) {
          const poll = await session.get(3000);
          expect(poll).toMatchObject({ status: 200, body: "2" });
          const elapsed = Date.now() - last;
          // heartbeats are timed by a sweep that may run a tenth of the period early; timers jitter
          expect(elapsed).toBeGreaterThanOrEqual(400 * 0.7);
          expect(elapsed).toBeLessThan(400 + 1500);
          expect(await session.post("3")).toMatchObject({ status: 200, body: "ok" });
          last = Date.now();
        }
      } finally {
        await slow.close();
      }
    });

    it("ends a session that does not answer within pingTimeout: its sid becomes unknown", async () => {
      const session = await PollingSession.start(server.httpBase);
      await sleep(pingInterval + pingTimeout + 30);
      const poll = await session.get();
      expect(poll.status).toBe(400);
      expect(JSON.parse(poll.body)).toEqual({ code: 1, message: "Session ID unknown" });
    });

    it("gives a GET that waits through the timeout the close packet", async () => {
      const session = await PollingSession.start(server.httpBase);
      expect(await session.get()).toMatchObject({ body: "2" });
      // no pong: the next GET waits until the session times out, and is answered with "1"
      expect(await session.get(pingTimeout + 500)).toMatchObject({ status: 200, body: "1" });
      expect((await session.get()).status).toBe(400);
    });
  });

  describe("over WebSocket", () => {
    it("pings every pingInterval and keeps a session that answers", async () => {
      const { socket } = await EngineIoSocket.session(server.wsBase);
      for (let i = 0; i < 3; i++) {
        expect(await socket.next(pingInterval + pingTimeout)).toBe("2");
        socket.send("3");
      }
      expect(socket.isClosed).toBe(false);
      socket.close();
    });

    it("closes a session that does not answer within pingTimeout", async () => {
      const { socket } = await EngineIoSocket.session(server.wsBase);
      const started = Date.now();
      expect(await socket.next(pingInterval + 100)).toBe("2");
      await socket.waitClosed(pingInterval + pingTimeout + 500);
      expect(Date.now() - started).toBeLessThan(pingInterval + pingTimeout + 200);
    });

    it("keeps a joined session whose pings are answered", async () => {
      const socket = await EngineIoSocket.joined(server.wsBase);
      // three rounds of pings answered with pongs: the session stays open well past pingTimeout
      await sleep((pingInterval + pingTimeout) * 2);
      expect(socket.isClosed).toBe(false);
      socket.close();
    });
  });
});

describe("Engine.IO close packet", () => {
  it("over long-polling: releases the waiting GET with a noop, then the sid is unknown", async () => {
    const session = await PollingSession.start(server.httpBase);
    const poll = session.get();
    await sleep(10);
    expect(await session.post("1")).toMatchObject({ status: 200, body: "ok" });
    expect(await poll).toMatchObject({ status: 200, body: "6" });
    expect((await session.get()).status).toBe(400);
  });

  it("over long-polling without a waiting GET: the sid is unknown right after", async () => {
    const session = await PollingSession.start(server.httpBase);
    expect(await session.post("1")).toMatchObject({ status: 200, body: "ok" });
    expect((await session.get()).status).toBe(400);
  });

  it("over WebSocket: the server closes the WebSocket", async () => {
    const { socket } = await EngineIoSocket.session(server.wsBase);
    socket.send("1");
    await socket.waitClosed(500);
  });

  it("ends every namespace socket of the session", async () => {
    const socket = await EngineIoSocket.joined(server.wsBase);
    const before = server.io.sockets.sockets.size;
    expect(before).toBeGreaterThan(0);
    socket.send("1");
    await socket.waitClosed(500);
    await sleep(20);
    expect(server.io.sockets.sockets.size).toBe(before - 1);
  });
});

describe("Engine.IO packets a client may not send", () => {
  it.each([
    ["an open packet", "0"],
    ["a ping (clients only answer pings)", "2"],
    ["an upgrade packet on a session that is not upgrading", "5"],
    ["an unknown type digit", "7"],
    ["a non-digit type", "abc"],
  ])("closes the WebSocket on %s", async (_label, frame) => {
    const { socket } = await EngineIoSocket.session(server.wsBase);
    socket.send(frame);
    await socket.waitClosed(500);
  });

  it("ignores a noop", async () => {
    const { socket } = await EngineIoSocket.session(server.wsBase);
    socket.send("6");
    socket.send("40");
    expect(await socket.nextMessage()).toMatch(/^40\{"sid":/);
    socket.close();
  });

  it("closes the WebSocket on an empty text frame", async () => {
    const { socket } = await EngineIoSocket.session(server.wsBase);
    socket.send("");
    await socket.waitClosed(500);
  });
});
