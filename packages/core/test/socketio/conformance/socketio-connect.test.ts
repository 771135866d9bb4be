import { once } from "node:events";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { REFERENCE, startConformanceServer, type ConformanceServer } from "../../support/conformance-server.js";
import { EngineIoSocket, PollingSession, sleep } from "../../support/engine-io-peer.js";

/*
 * Socket.IO protocol v5, "Connection to a namespace" and "Disconnection from a namespace", over a
 * raw Engine.IO WebSocket: every CONNECT is answered with CONNECT (`{sid}`) or CONNECT_ERROR, a
 * first packet that is not a CONNECT ends the session, and DISCONNECT leaves one namespace only.
 */

let server: ConformanceServer;
beforeAll(async () => {
  server = await startConformanceServer();
  server.io.of("/guarded").use((socket, next) => {
    const auth = socket.handshake.auth as { token?: string; plain?: boolean };
    if (auth.token === "let-me-in") return next();
    if (auth.plain) return next(new Error("not authorized"));
    next(Object.assign(new Error("not authorized"), { data: { reason: "bad token", retry: false } }));
  });
});
afterAll(() => server.close());

/** An Engine.IO WebSocket session whose pings are answered; no namespace joined yet. */
async function session(): Promise<EngineIoSocket> {
  const { socket } = await EngineIoSocket.session(server.wsBase);
  socket.autoPong = true;
  return socket;
}

function connectReply(frame: unknown, prefix: string): Record<string, unknown> {
  expect(typeof frame).toBe("string");
  expect((frame as string).startsWith(prefix)).toBe(true);
  return JSON.parse((frame as string).slice(prefix.length)) as Record<string, unknown>;
}

describe("Socket.IO CONNECT", () => {
  it("joins the main namespace: the reply carries only the socket's sid", async () => {
    const socket = await session();
    socket.send("40");
    const reply = connectReply(await socket.nextMessage(), "40");
    expect(Object.keys(reply)).toEqual(["sid"]);
    expect(typeof reply.sid).toBe("string");
    expect(await socket.nextMessage()).toBe('42["auth",{}]');
    socket.close();
  });

  it("joins the main namespace with a payload, which becomes handshake.auth", async () => {
    const socket = await session();
    socket.send('40{"token":"123"}');
    expect(Object.keys(connectReply(await socket.nextMessage(), "40"))).toEqual(["sid"]);
    expect(await socket.nextMessage()).toBe('42["auth",{"token":"123"}]');
    socket.close();
  });

  it.each(["40/custom,", "40/custom"])("joins a custom namespace (%s)", async (frame) => {
    const socket = await session();
    socket.send(frame);
    expect(Object.keys(connectReply(await socket.nextMessage(), "40/custom,"))).toEqual(["sid"]);
    expect(await socket.nextMessage()).toBe('42/custom,["auth",{}]');
    socket.close();
  });

  it("joins a custom namespace with a payload", async () => {
    const socket = await session();
    socket.send('40/custom,{"token":"abc"}');
    expect(Object.keys(connectReply(await socket.nextMessage(), "40/custom,"))).toEqual(["sid"]);
    expect(await socket.nextMessage()).toBe('42/custom,["auth",{"token":"abc"}]');
    socket.close();
  });

  it("gives the sockets of one session in two namespaces different sids, neither the Engine.IO sid", async () => {
    const { socket, open } = await EngineIoSocket.session(server.wsBase);
    socket.autoPong = true;
    socket.send("40");
    const main = connectReply(await socket.nextMessage(), "40");
    await socket.nextMessage();
    socket.send("40/custom,");
    const custom = connectReply(await socket.nextMessage(), "40/custom,");
    expect(main.sid).not.toBe(custom.sid);
    expect([main.sid, custom.sid]).not.toContain(open.sid);
    socket.close();
  });

  it("sends the reply and what the connection handler emits in reads of their own", async () => {
    // A client that listens for one message at a time, as the Socket.IO protocol's test suite
    // does: a message that arrives in the same read as the one awaited is emitted before the
    // next listener exists, and lost.
    for (let i = 0; i < 20; i++) {
      const ws = new WebSocket(`${server.wsBase}?EIO=4&transport=websocket`);
      ws.on("error", () => {});
      // Pings ("2", every 300 ms here) may come between any two messages on a busy machine.
      const next = async (): Promise<string> => {
        for (;;) {
          const message = String((await once(ws, "message"))[0]);
          if (message !== "2") return message;
          ws.send("3");
        }
      };
      expect(await next()).toMatch(/^0\{/);
      ws.send(i % 2 ? "40" : "40/custom,");
      expect(await next()).toMatch(/^40(\/custom,)?\{"sid":/);
      expect(await next()).toMatch(/^42(\/custom,)?\["auth",\{\}\]$/);
      ws.close();
    }
  });

  it("works over long-polling too", async () => {
    const polling = await PollingSession.start(server.httpBase);
    await polling.post('40/custom,{"token":"p"}');
    const packets: string[] = [];
    while (packets.length < 2) packets.push(...(await polling.nextPackets()));
    expect(Object.keys(connectReply(packets[0], "40/custom,"))).toEqual(["sid"]);
    expect(packets[1]).toBe('42/custom,["auth",{"token":"p"}]');
  });

  it("answers CONNECT_ERROR 'Invalid namespace' for an unknown namespace, and the session stays", async () => {
    const socket = await session();
    socket.send("40/random");
    expect(await socket.nextMessage()).toBe('44/random,{"message":"Invalid namespace"}');
    socket.send("40/random,");
    expect(await socket.nextMessage()).toBe('44/random,{"message":"Invalid namespace"}');
    socket.send("40");
    expect(await socket.nextMessage()).toMatch(/^40\{"sid":/);
    socket.close();
  });

  describe("refused by a middleware", () => {
    it("answers CONNECT_ERROR with the error's message and data", async () => {
      const socket = await session();
      socket.send('40/guarded,{"token":"wrong"}');
      expect(await socket.nextMessage()).toBe('44/guarded,{"message":"not authorized","data":{"reason":"bad token","retry":false}}');
      socket.close();
    });

    it("answers CONNECT_ERROR with the message only when the error has no data", async () => {
      const socket = await session();
      socket.send('40/guarded,{"plain":true}');
      expect(await socket.nextMessage()).toBe('44/guarded,{"message":"not authorized"}');
      socket.close();
    });

    it("keeps the session: a later CONNECT may succeed", async () => {
      const socket = await session();
      socket.send('40/guarded,{"token":"wrong"}');
      await socket.nextMessage();
      socket.send('40/guarded,{"token":"let-me-in"}');
      expect(Object.keys(connectReply(await socket.nextMessage(), "40/guarded,"))).toEqual(["sid"]);
      socket.close();
    });

    it("uses the main namespace's form for the main namespace (no namespace prefix)", async () => {
      const guarded = await startConformanceServer();
      guarded.io.use((_socket, next) => next(Object.assign(new Error("go away"), { data: { code: 42 } })));
      try {
        const { socket } = await EngineIoSocket.session(guarded.wsBase);
        socket.send("40");
        expect(await socket.nextMessage()).toBe('44{"message":"go away","data":{"code":42}}');
        socket.close();
      } finally {
        await guarded.close();
      }
    });
  });

  describe("invalid handshakes close the session", () => {
    it.each([
      ["a message that is no Socket.IO packet", "4abc"],
      ["a CONNECT whose payload is an array", "40[]"],
      ["a CONNECT whose payload is a string", '40"token"'],
      ["a CONNECT whose payload is not JSON", "40{token"],
      ["a CONNECT with an ack id", "401"],
      ["a CONNECT_ERROR, which only servers send", '44{"message":"x"}'],
    ])("%s", async (_label, frame) => {
      const socket = await session();
      socket.send(frame);
      await socket.waitClosed(500);
    });
  });

  it("closes a session that joins no namespace within connectTimeout", async () => {
    const started = Date.now();
    const socket = await session();
    await socket.waitClosed(REFERENCE.connectTimeout + 500);
    const elapsed = Date.now() - started;
    expect(elapsed).toBeGreaterThanOrEqual(REFERENCE.connectTimeout - 20);
    // pings kept coming meanwhile: the close is the connect timeout, not a heartbeat
    expect(socket.frames.filter((frame) => frame === "2").length).toBeGreaterThanOrEqual(2);
  });

  it("with connection-state recovery on, the reply also carries the session's pid", async () => {
    const recovering = await startConformanceServer({ connectionStateRecovery: {} });
    try {
      const { socket } = await EngineIoSocket.session(recovering.wsBase);
      socket.send("40");
      const reply = connectReply(await socket.nextMessage(), "40");
      expect(Object.keys(reply).sort()).toEqual(["pid", "sid"]);
      socket.close();
    } finally {
      await recovering.close();
    }
  });
});

describe("Socket.IO DISCONNECT", () => {
  it("leaves the main namespace; the Engine.IO session stays and keeps pinging", async () => {
    const socket = await EngineIoSocket.joined(server.wsBase);
    socket.autoPong = false;
    socket.send("41");
    expect(await socket.next(REFERENCE.pingInterval + 100)).toBe("2");
    expect(socket.isClosed).toBe(false);
    socket.close();
  });

  it("leaves a custom namespace and stays in the main one", async () => {
    const socket = await EngineIoSocket.joined(server.wsBase);
    socket.send("40/custom");
    expect(await socket.nextMessage()).toMatch(/^40\/custom,\{"sid":/);
    expect(await socket.nextMessage()).toBe('42/custom,["auth",{}]');
    socket.send("41/custom");
    socket.send('42["message","message to main namespace"]');
    expect(await socket.nextMessage()).toBe('42["message-back","message to main namespace"]');
    socket.close();
  });

  it("ignores events for a namespace the session left or never joined", async () => {
    const socket = await EngineIoSocket.joined(server.wsBase);
    socket.send("41/custom,");
    socket.send('42/custom,["message","nobody"]');
    socket.send('42/never,["message","nobody"]');
    socket.send('42["message","main"]');
    expect(await socket.nextMessage()).toBe('42["message-back","main"]');
    socket.close();
  });

  it("is sent by the server when it disconnects a socket, which leaves the session open", async () => {
    const socket = await EngineIoSocket.joined(server.wsBase);
    socket.send("40/custom,");
    const sid = connectReply(await socket.nextMessage(), "40/custom,").sid as string;
    await socket.nextMessage();
    server.io.of("/custom").sockets.get(sid)?.disconnect();
    expect(await socket.nextMessage()).toBe("41/custom,");
    socket.send('42["message","after"]');
    expect(await socket.nextMessage()).toBe('42["message-back","after"]');
    socket.close();
  });

  it("lets the session join the namespace it left again", async () => {
    const socket = await EngineIoSocket.joined(server.wsBase);
    socket.send("41");
    await sleep(10);
    socket.send("40");
    expect(await socket.nextMessage()).toMatch(/^40\{"sid":/);
    expect(await socket.nextMessage()).toBe('42["auth",{}]');
    socket.close();
  });
});
