import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { REFERENCE, startConformanceServer, type ConformanceServer } from "../../support/conformance-server.js";
import { EngineIoSocket, PollingSession, request } from "../../support/engine-io-peer.js";

/*
 * Engine.IO protocol v4, "Handshake" and the query parameters of both transports: the open packet
 * carries exactly five fields, and a request that is not a well-formed Engine.IO v4 request is
 * refused with HTTP 400 and Engine.IO's numeric error code.
 */

let server: ConformanceServer;
beforeAll(async () => {
  server = await startConformanceServer();
});
afterAll(() => server.close());

const OPEN_KEYS = ["maxPayload", "pingInterval", "pingTimeout", "sid", "upgrades"];

function expectOpenFields(open: Record<string, unknown>, upgrades: string[]): void {
  expect(Object.keys(open).sort()).toEqual(OPEN_KEYS);
  expect(typeof open.sid).toBe("string");
  expect((open.sid as string).length).toBeGreaterThan(0);
  expect(open.upgrades).toEqual(upgrades);
  expect(open.pingInterval).toBe(REFERENCE.pingInterval);
  expect(open.pingTimeout).toBe(REFERENCE.pingTimeout);
  expect(open.maxPayload).toBe(REFERENCE.maxPayload);
}

describe("Engine.IO handshake", () => {
  describe("over long-polling", () => {
    it("answers 200 with an open packet offering the WebSocket upgrade", async () => {
      const reply = await request(`${server.httpBase}?EIO=4&transport=polling`);
      expect(reply.status).toBe(200);
      expect(reply.headers.get("content-type")).toMatch(/^text\/plain/);
      expect(reply.body[0]).toBe("0");
      expectOpenFields(JSON.parse(reply.body.slice(1)), ["websocket"]);
    });

    it("gives every session its own sid", async () => {
      const [a, b] = await Promise.all([PollingSession.start(server.httpBase), PollingSession.start(server.httpBase)]);
      expect(a.sid).not.toBe(b.sid);
    });

    it("is also served without the trailing slash", async () => {
      const reply = await request(`${server.httpBase.slice(0, -1)}?EIO=4&transport=polling`);
      expect(reply.status).toBe(200);
      expect(reply.body[0]).toBe("0");
    });

    it("answers CORS with the configured origin", async () => {
      const reply = await request(`${server.httpBase}?EIO=4&transport=polling`, { headers: { Origin: "https://elsewhere.example" } });
      expect(reply.status).toBe(200);
      expect(reply.headers.get("access-control-allow-origin")).toBe("*");
    });

    it.each([
      ["missing", "transport=polling"],
      ["not a number", "EIO=abc&transport=polling"],
      ["an older version", "EIO=3&transport=polling"],
    ])("refuses an EIO that is %s with 400 and code 5", async (_label, query) => {
      const reply = await request(`${server.httpBase}?${query}`);
      expect(reply.status).toBe(400);
      expect(JSON.parse(reply.body)).toEqual({ code: 5, message: "Unsupported protocol version" });
    });

    it.each([
      ["missing", "EIO=4"],
      ["unknown", "EIO=4&transport=abc"],
      ["webtransport", "EIO=4&transport=webtransport"],
    ])("refuses a transport that is %s with 400 and code 0", async (_label, query) => {
      const reply = await request(`${server.httpBase}?${query}`);
      expect(reply.status).toBe(400);
      expect(JSON.parse(reply.body)).toEqual({ code: 0, message: "Transport unknown" });
    });

    it("refuses a handshake that is not a GET (POST, PUT) with 400 and code 2", async () => {
      for (const method of ["POST", "PUT"]) {
        const reply = await request(`${server.httpBase}?EIO=4&transport=polling`, { method, body: "40" });
        expect(reply.status, method).toBe(400);
        expect(JSON.parse(reply.body)).toEqual({ code: 2, message: "Bad handshake method" });
      }
    });

    it("refuses an unknown sid with 400 and code 1, for GET and POST", async () => {
      const url = `${server.httpBase}?EIO=4&transport=polling&sid=not-a-session`;
      for (const init of [{}, { method: "POST", body: "40" }]) {
        const reply = await request(url, init);
        expect(reply.status).toBe(400);
        expect(JSON.parse(reply.body)).toEqual({ code: 1, message: "Session ID unknown" });
      }
    });

    it("refuses a method other than GET and POST on an open session with 400 and code 3", async () => {
      const session = await PollingSession.start(server.httpBase);
      const reply = await request(session.url, { method: "PUT", body: "40" });
      expect(reply.status).toBe(400);
      expect(JSON.parse(reply.body)).toEqual({ code: 3, message: "Bad request" });
    });
  });

  describe("over WebSocket", () => {
    it("sends an open packet, with no upgrade to offer, as the first frame", async () => {
      const { socket, open } = await EngineIoSocket.session(server.wsBase);
      expectOpenFields(open as unknown as Record<string, unknown>, []);
      socket.close();
    });

    it.each([
      ["EIO is missing", "?transport=websocket"],
      ["EIO is not a number", "?EIO=abc&transport=websocket"],
      ["the transport is missing", "?EIO=4"],
      ["the transport is unknown", "?EIO=4&transport=abc"],
      ["the transport is polling", "?EIO=4&transport=polling"],
    ])("refuses the upgrade when %s", async (_label, query) => {
      const socket = new EngineIoSocket(server.wsBase + query);
      await expect(socket.opened).rejects.toMatchObject({ status: 400 });
      await socket.waitClosed();
      expect(socket.frames).toEqual([]);
    });

    it("refuses an upgrade for an unknown sid with 400 and code ERR_UNKNOWN_SID", async () => {
      const socket = EngineIoSocket.open(server.wsBase, "&sid=not-a-session");
      await expect(socket.opened).rejects.toMatchObject({ status: 400 });
      expect(JSON.parse(socket.refusal?.body ?? "{}")).toMatchObject({ code: "ERR_UNKNOWN_SID" });
      await socket.waitClosed();
    });
  });
});
