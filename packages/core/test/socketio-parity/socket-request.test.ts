import { IncomingMessage } from "node:http";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { afterEach, describe, expect, it } from "vitest";
import type { Socket } from "../../src/index.js";
import { startServer, type TestServer } from "../support/server.js";
import { CLIENT_MODES, nextEvent, startSocketIoServer, type SocketIoTestServer } from "../support/socketio-client.js";

/* Whether the request that opened a connection is let go is a question for the garbage collector. */
setFlagsFromString("--expose-gc");
const gc = runInNewContext("gc") as () => void;

/** Collects garbage once the current job is over (a WeakRef keeps its target alive until then). */
async function collect(): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, 0));
  gc();
}

describe("socket.request, the request that opened the connection", () => {
  let server: TestServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  /** A server whose allowRequest records a weak reference to each request, and lets `mark` leave something on it. */
  async function serverSeeing(mark?: (req: IncomingMessage) => void) {
    const seen: WeakRef<IncomingMessage>[] = [];
    server = await startServer({
      allowRequest: (req, callback) => {
        seen.push(new WeakRef(req));
        mark?.(req);
        callback(null, true);
      },
    });
    const connection = nextEvent<[Socket]>(server.io, "connection");
    const client = await server.client({ query: "?room=blue" });
    await client.joinOk("/");
    const [socket] = await connection;
    return { socket, seen };
  }

  it("lets a request with nothing left on it go, and rebuilds one from the handshake on first read", async () => {
    const { socket, seen } = await serverSeeing();
    await collect();
    expect(seen[0]!.deref()).toBeUndefined();

    const request = socket.request;
    expect(request).toBeInstanceOf(IncomingMessage);
    expect(request.method).toBe("GET");
    expect(request.httpVersion).toBe("1.1");
    expect(request.url).toBe(socket.handshake.url);
    expect(request.url).toContain("room=blue");
    expect(request.headers).toBe(socket.handshake.headers);
    expect(request.headers.host).toBe(`127.0.0.1:${server!.port}`);
    expect(request.rawHeaders).toEqual(expect.arrayContaining(["host", `127.0.0.1:${server!.port}`]));
    expect(request.socket.remoteAddress).toBe("127.0.0.1");
    expect((request as unknown as { upgrade: boolean }).upgrade).toBe(true);
    expect((request as unknown as { _query: unknown })._query).toBe(socket.handshake.query);
    // one object from then on, for every way Socket.IO apps reach it
    expect(socket.request).toBe(request);
    expect(socket.conn.request).toBe(request);
    expect(socket.client.request).toBe(request);
    (request as unknown as { tag: string }).tag = "kept";
    expect((socket.request as unknown as { tag: string }).tag).toBe("kept");
  });

  it("keeps the request itself when admission left something on it (allowRequest, io.engine.use)", async () => {
    const user = { id: 7 };
    const { socket, seen } = await serverSeeing((req) => ((req as unknown as { user: unknown }).user = user));
    await collect();
    expect(seen[0]!.deref()).toBe(socket.request);
    expect((socket.request as unknown as { user: unknown }).user).toBe(user);
    expect(socket.request.rawHeaders).toContain("Host");
  });

  it("keeps what an io.engine.use() middleware set, such as a session", async () => {
    server = await startServer();
    server.io.engine.use((req: IncomingMessage & { session?: unknown }, _res: unknown, next: () => void) => {
      req.session = { user: "ada" };
      next();
    });
    const connection = nextEvent<[Socket]>(server.io, "connection");
    await server.joined();
    const [socket] = await connection;
    expect((socket.request as IncomingMessage & { session?: unknown }).session).toEqual({ user: "ada" });
  });

  it("is null once the application dropped it, as Socket.IO's memory guide does", async () => {
    server = await startServer();
    server.io.engine.on("connection", (conn: { request: IncomingMessage | null }) => {
      conn.request = null;
    });
    const connection = nextEvent<[Socket]>(server.io, "connection");
    await server.joined();
    const [socket] = await connection;
    expect(socket.request).toBeNull();
  });
});

describe.each(CLIENT_MODES)("socket.request for a socket.io-client, $name", (mode) => {
  let server: SocketIoTestServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  it("rebuilds the request that opened the session, with Engine.IO's _query", async () => {
    const seen: WeakRef<IncomingMessage>[] = [];
    server = await startSocketIoServer(mode, {
      allowRequest: (req, callback) => {
        seen.push(new WeakRef(req));
        callback(null, true);
      },
    });
    const connection = nextEvent<[Socket]>(server.io, "connection");
    await server.connected("/", { query: { room: "blue" } });
    const [socket] = await connection;
    await collect();
    expect(seen[0]!.deref()).toBeUndefined();
    const request = socket.request;
    expect(request.url).toContain(`transport=${mode.first}`);
    expect(request.url).toContain("room=blue");
    expect((request as unknown as { _query: Record<string, string> })._query).toBe(socket.handshake.query);
    expect((request as unknown as { upgrade: boolean }).upgrade).toBe(mode.first === "websocket");
  });
});
