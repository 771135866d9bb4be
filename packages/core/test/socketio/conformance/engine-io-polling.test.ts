import { request as httpRequest, type ClientRequest } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { REFERENCE, startConformanceServer, type ConformanceServer } from "../../support/conformance-server.js";
import { PollingSession, sleep } from "../../support/engine-io-peer.js";

/*
 * Engine.IO protocol v4, "HTTP long-polling": POST bodies and GET responses hold packets
 * separated by \x1e, binary ones as "b" + base64; one GET and one POST at a time; a bad body or
 * an overlapping request ends the session. The server behind is a Socket.IO server, so messages
 * are Socket.IO packets and the echo is its "message" → "message-back" handler.
 */

let server: ConformanceServer;
beforeAll(async () => {
  server = await startConformanceServer();
});
afterAll(() => server.close());

/** Starts a POST that announces `length` bytes and sends only `sent`: the server keeps reading it. */
function slowPost(url: string, length: number, sent: string): ClientRequest {
  const req = httpRequest(url, { method: "POST", headers: { "Content-Length": String(length) } });
  req.on("error", () => {});
  req.write(sent);
  return req;
}

/** A polling session joined to the main namespace, its CONNECT reply and "auth" event read. */
async function joinedSession(): Promise<PollingSession> {
  const session = await PollingSession.start(server.httpBase);
  expect(await session.post("40")).toMatchObject({ status: 200, body: "ok" });
  const packets = await session.nextPackets();
  // the CONNECT reply and the event sent from "connection" may come in one payload or two
  if (packets.length === 1) packets.push(...(await session.nextPackets()));
  expect(packets[0]).toMatch(/^40\{"sid":"[^"]+"\}$/);
  expect(packets[1]).toBe('42["auth",{}]');
  return session;
}

describe("Engine.IO long-polling", () => {
  describe("messages", () => {
    it("takes one packet in a POST (answered 'ok') and returns the reply in a GET", async () => {
      const session = await joinedSession();
      const pushed = await session.post('42["message","hello"]');
      expect(pushed.status).toBe(200);
      expect(pushed.body).toBe("ok");
      expect(pushed.headers.get("content-type")).toMatch(/^text\/plain/);
      expect(await session.nextPackets()).toEqual(['42["message-back","hello"]']);
    });

    it("takes several packets in one POST and returns the replies in one GET, in order", async () => {
      const session = await joinedSession();
      const body = ['42["message","test1"]', '42["message","test2"]', '42["message","test3"]'].join("\x1e");
      expect(await session.post(body)).toMatchObject({ status: 200, body: "ok" });
      const reply = await session.get();
      expect(reply.status).toBe(200);
      expect(reply.body).toBe('42["message-back","test1"]\x1e42["message-back","test2"]\x1e42["message-back","test3"]');
    });

    it("takes text and base64 binary packets together and answers in the same encoding", async () => {
      const session = await joinedSession();
      const body = '451-["message",{"_placeholder":true,"num":0}]\x1ebAQIDBA==';
      expect(await session.post(body)).toMatchObject({ status: 200, body: "ok" });
      const reply = await session.get();
      expect(reply.body).toBe('451-["message-back",{"_placeholder":true,"num":0}]\x1ebAQIDBA==');
    });

    it("takes a connect and an event in the same POST", async () => {
      const session = await PollingSession.start(server.httpBase);
      expect(await session.post('40\x1e42["message",1]')).toMatchObject({ status: 200, body: "ok" });
      const packets: string[] = [];
      while (packets.length < 3) packets.push(...(await session.nextPackets()));
      expect(packets[0]).toMatch(/^40\{"sid":/);
      expect(packets.slice(1)).toEqual(['42["auth",{}]', '42["message-back",1]']);
    });

    it("holds a GET until there is something to send", async () => {
      const session = await joinedSession();
      const started = Date.now();
      const pending = session.get();
      await sleep(50);
      await session.post('42["message","late"]');
      const reply = await pending;
      expect(reply.body).toBe('42["message-back","late"]');
      expect(Date.now() - started).toBeLessThan(REFERENCE.pingInterval);
    });
  });

  describe("errors that end the session", () => {
    it("answers a body that is not an Engine.IO payload with 400, then the sid is unknown", async () => {
      const session = await joinedSession();
      const pushed = await session.post("abc");
      expect(pushed.status).toBe(400);
      expect(JSON.parse(pushed.body)).toMatchObject({ code: "ERR_INVALID_PACKET" });
      expect((await session.get()).status).toBe(400);
    });

    it("answers a binary packet that is not base64 with 400 ERR_INVALID_PAYLOAD and ends the session", async () => {
      const session = await joinedSession();
      const pushed = await session.post('451-["message",{"_placeholder":true,"num":0}]\x1eb!!!!');
      expect(pushed.status).toBe(400);
      expect(JSON.parse(pushed.body)).toMatchObject({ code: "ERR_INVALID_PAYLOAD" });
      expect((await session.get()).status).toBe(400);
    });

    it("answers an empty body with 400 and ends the session", async () => {
      const session = await PollingSession.start(server.httpBase);
      expect((await session.post("")).status).toBe(400);
      expect((await session.get()).status).toBe(400);
    });

    it("answers a duplicate GET with 400, gives the first GET the close packet, then forgets the sid", async () => {
      const session = await PollingSession.start(server.httpBase);
      const first = session.get();
      await sleep(10);
      const second = await session.get(2000, "&t=burst");
      expect([400, 500]).toContain(second.status);
      expect(await first).toMatchObject({ status: 200, body: "1" });
      expect((await session.get()).status).toBe(400);
    });

    it("answers a second POST while one is being read with 400 ERR_BAD_REQUEST and ends the session", async () => {
      const session = await joinedSession();
      const first = slowPost(session.url, 100, "42");
      await sleep(30);
      const second = await session.post('42["message","overlap"]');
      expect(second.status).toBe(400);
      expect(JSON.parse(second.body)).toMatchObject({ code: "ERR_BAD_REQUEST" });
      first.destroy();
      expect((await session.get()).status).toBe(400);
    });

    it("frees the POST slot when the client abandons an upload", async () => {
      const session = await joinedSession();
      const abandoned = slowPost(session.url, 100, "42");
      await sleep(30);
      abandoned.destroy();
      await sleep(30);
      expect(await session.post('42["message","next"]')).toMatchObject({ status: 200, body: "ok" });
      expect(await session.nextPackets()).toEqual(['42["message-back","next"]']);
    });

    it("refuses a body over maxPayload with 413 ERR_MESSAGE_TOO_BIG and ends the session", async () => {
      const small = await startConformanceServer({ maxPayload: 1000 });
      try {
        const session = await PollingSession.start(small.httpBase);
        expect(session.open.maxPayload).toBe(1000);
        const pushed = await session.post("4" + "x".repeat(1000));
        expect(pushed.status).toBe(413);
        expect(JSON.parse(pushed.body)).toMatchObject({ code: "ERR_MESSAGE_TOO_BIG" });
        expect((await session.get()).status).toBe(400);
      } finally {
        await small.close();
      }
    });

    it("refuses a streamed body that grows past maxPayload (no Content-Length) with 413", async () => {
      const small = await startConformanceServer({ maxPayload: 1000 });
      try {
        const session = await PollingSession.start(small.httpBase);
        const chunks = new ReadableStream<Uint8Array>({
          start(controller) {
            for (let i = 0; i < 4; i++) controller.enqueue(new TextEncoder().encode("4" + "y".repeat(399)));
            controller.close();
          },
        });
        const pushed = await fetch(session.url, { method: "POST", body: chunks, duplex: "half", signal: AbortSignal.timeout(2000) } as RequestInit);
        expect(pushed.status).toBe(413);
        expect(await pushed.json()).toMatchObject({ code: "ERR_MESSAGE_TOO_BIG" });
        expect((await session.get()).status).toBe(400);
      } finally {
        await small.close();
      }
    });

    it("accepts a body of exactly maxPayload bytes", async () => {
      const small = await startConformanceServer({ maxPayload: 1000 });
      try {
        const session = await PollingSession.start(small.httpBase);
        const body = '40\x1e42["message","' + "x".repeat(981) + '"]';
        expect(Buffer.byteLength(body)).toBe(1000);
        expect(await session.post(body)).toMatchObject({ status: 200, body: "ok" });
      } finally {
        await small.close();
      }
    });
  });
});

describe("Engine.IO long-polling, a client that goes away", () => {
  it("ends the session as soon as its waiting GET is dropped, not at the next ping timeout", async () => {
    const session = await joinedSession();
    const socket = [...server.io.sockets.sockets.values()].find((s) => s.conn.id === session.sid);
    expect(socket).toBeDefined();
    const reason = new Promise<string>((resolve) => socket?.on("disconnect", resolve));
    const aborted = new AbortController();
    const waiting = fetch(session.url, { signal: aborted.signal }).catch(() => undefined);
    await sleep(50);
    const dropped = performance.now();
    aborted.abort();
    await waiting;
    expect(await reason).toBe("transport close");
    // well inside pingInterval + pingTimeout (500 ms here)
    expect(performance.now() - dropped).toBeLessThan(REFERENCE.pingInterval);
    expect((await session.get()).status).toBe(400);
  });
});
