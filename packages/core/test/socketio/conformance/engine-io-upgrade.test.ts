import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { startConformanceServer, type ConformanceServer } from "../../support/conformance-server.js";
import { EngineIoSocket, PollingSession, sleep } from "../../support/engine-io-peer.js";

/*
 * Engine.IO protocol v4, "Upgrade": a long-polling session opens a WebSocket with its sid, probes
 * it ("2probe" → "3probe"), and completes with "5". Meanwhile polling GETs are released with a
 * noop ("6"); afterwards the session lives on the WebSocket only.
 */

let server: ConformanceServer;
beforeAll(async () => {
  server = await startConformanceServer();
});
afterAll(() => server.close());

/** A polling session joined to the main namespace, with its CONNECT reply and "auth" event read. */
async function joinedPolling(): Promise<PollingSession> {
  const session = await PollingSession.start(server.httpBase);
  await session.post("40");
  const packets: string[] = [];
  while (packets.length < 2) packets.push(...(await session.nextPackets()));
  return session;
}

/** Opens the probe WebSocket of `session` and waits until it is open. */
async function probeSocket(session: PollingSession): Promise<EngineIoSocket> {
  const socket = EngineIoSocket.open(server.wsBase, `&sid=${encodeURIComponent(session.sid)}`);
  await socket.opened;
  return socket;
}

describe("Engine.IO upgrade", () => {
  it("answers the probe, releases a GET with a noop, then carries the session over the WebSocket", async () => {
    const session = await joinedPolling();
    const socket = await probeSocket(session);
    socket.send("2probe");
    expect(await socket.next()).toBe("3probe");
    expect(await session.get()).toMatchObject({ status: 200, body: "6" });
    socket.send("5");
    socket.send('42["message","hello"]');
    expect(await socket.nextMessage()).toBe('42["message-back","hello"]');
    socket.close();
  });

  it("releases a GET that was already waiting when the probe arrives", async () => {
    const session = await joinedPolling();
    const waiting = session.get();
    await sleep(10);
    const socket = await probeSocket(session);
    socket.send("2probe");
    expect(await socket.next()).toBe("3probe");
    expect(await waiting).toMatchObject({ status: 200, body: "6" });
    socket.send("5");
    socket.close();
  });

  it("moves what polling had not delivered yet to the WebSocket, in order", async () => {
    const session = await joinedPolling();
    await session.post('42["message","a"]\x1e451-["message",{"_placeholder":true,"num":0}]\x1ebAQI=');
    const socket = await probeSocket(session);
    socket.send("2probe");
    expect(await socket.next()).toBe("3probe");
    socket.send("5");
    expect(await socket.nextMessage()).toBe('42["message-back","a"]');
    expect(await socket.nextMessage()).toBe('451-["message-back",{"_placeholder":true,"num":0}]');
    expect(await socket.nextMessage()).toEqual(Buffer.from([1, 2]));
    socket.close();
  });

  it("keeps the heartbeat going over the WebSocket", async () => {
    const session = await joinedPolling();
    const socket = await probeSocket(session);
    socket.send("2probe");
    socket.send("5");
    expect(await socket.next()).toBe("3probe");
    expect(await socket.next(600)).toBe("2");
    socket.send("3");
    expect(await socket.next(600)).toBe("2");
    socket.close();
  });

  it("refuses polling requests with the sid once upgraded (400, code 3)", async () => {
    const session = await joinedPolling();
    const socket = await probeSocket(session);
    socket.send("2probe");
    socket.send("5");
    expect(await socket.next()).toBe("3probe");
    const poll = await session.get();
    expect(poll.status).toBe(400);
    expect(JSON.parse(poll.body)).toEqual({ code: 3, message: "Bad request" });
    expect((await session.post('42["message","x"]')).status).toBe(400);
    // the session itself is unaffected
    socket.send('42["message","still here"]');
    expect(await socket.nextMessage()).toBe('42["message-back","still here"]');
    socket.close();
  });

  it("closes a second WebSocket with the sid of an upgraded session, and keeps the first", async () => {
    const session = await joinedPolling();
    const socket = await probeSocket(session);
    socket.send("2probe");
    socket.send("5");
    expect(await socket.next()).toBe("3probe");
    // A plain ws client with no "error" listener: a refused upgrade would throw in it. The spec
    // has the server close the extra WebSocket, so it is accepted and closed.
    const second = new WebSocket(`${server.wsBase}?EIO=4&transport=websocket&sid=${encodeURIComponent(session.sid)}`);
    const refused = new Promise<boolean>((resolve) => {
      second.once("unexpected-response", () => resolve(true));
      second.once("close", () => resolve(false));
    });
    second.on("error", () => {});
    expect(await refused).toBe(false);
    socket.send('42["message","first"]');
    expect(await socket.nextMessage()).toBe('42["message-back","first"]');
    socket.close();
  });

  it("closes a second probe while one is in progress, and the first completes", async () => {
    const session = await joinedPolling();
    const socket = await probeSocket(session);
    socket.send("2probe");
    expect(await socket.next()).toBe("3probe");
    const second = EngineIoSocket.open(server.wsBase, `&sid=${encodeURIComponent(session.sid)}`);
    await second.waitClosed();
    socket.send("5");
    socket.send('42["message","ok"]');
    expect(await socket.nextMessage()).toBe('42["message-back","ok"]');
    socket.close();
  });

  it("closes a WebSocket with the sid of a WebSocket session", async () => {
    const { socket, open } = await EngineIoSocket.session(server.wsBase);
    const second = EngineIoSocket.open(server.wsBase, `&sid=${encodeURIComponent(open.sid)}`);
    await second.waitClosed();
    socket.send("40");
    expect(await socket.nextMessage()).toMatch(/^40\{"sid":/);
    socket.close();
  });

  it("drops a probe that sends anything but the probe and the upgrade; polling goes on", async () => {
    const session = await joinedPolling();
    const socket = await probeSocket(session);
    socket.send('42["message","too early"]');
    await socket.waitClosed();
    await session.post('42["message","over polling"]');
    expect(await session.nextPackets()).toEqual(['42["message-back","over polling"]']);
  });

  it("drops a probe that does not complete within upgradeTimeout; polling goes on", async () => {
    const quick = await startConformanceServer({ upgradeTimeout: 150 });
    try {
      const session = await PollingSession.start(quick.httpBase);
      await session.post("40");
      await session.nextPackets();
      const socket = EngineIoSocket.open(quick.wsBase, `&sid=${encodeURIComponent(session.sid)}`);
      await socket.opened;
      socket.send("2probe");
      expect(await socket.next()).toBe("3probe");
      await socket.waitClosed(1000);
      await session.post('42["message","after"]');
      const packets = await session.nextPackets();
      expect(packets[packets.length - 1]).toBe('42["message-back","after"]');
    } finally {
      await quick.close();
    }
  });
});
