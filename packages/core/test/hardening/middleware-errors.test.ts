import { afterEach, describe, expect, it } from "vitest";
import { ErrorCode, PacketType } from "@roomcast/protocol";
import { resolveOptions, type ServerOptions } from "../../src/index.js";
import { memoryLogger, startServer, type TestServer } from "../support/server.js";
import { CLIENT_MODES, nextEvent, startSocketIoServer, type SocketIoTestServer } from "../support/socketio-client.js";

const GENERIC = { message: "middleware error", data: { code: ErrorCode.MIDDLEWARE_REJECTED } };
const UNAUTHORIZED = Object.assign(new Error("unauthorized"), { data: { reason: "bad token" } });

/** A middleware with a bug: reading a field of something undefined. */
function buggy(): void {
  const user = undefined as unknown as { name: string };
  void user.name;
}

describe("Middleware errors sent to the client", () => {
  let server: TestServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  async function refusal(options: Partial<ServerOptions>, middleware: Parameters<TestServer["io"]["use"]>[0]): Promise<unknown> {
    server = await startServer(options);
    server.io.use(middleware);
    const client = await server.client();
    const packet = await client.join("/");
    expect(packet.type).toBe(PacketType.CONNECT_ERROR);
    const { message, data } = packet as { message: string; data?: unknown };
    return data === undefined ? { message } : { message, data };
  }

  it('by default, an exception a middleware throws reaches the client as "middleware error", and the logger as it is', async () => {
    const logger = memoryLogger();
    expect(await refusal({ logger }, () => buggy())).toEqual(GENERIC);
    expect(logger.errors).toHaveLength(1);
    expect(logger.errors[0]).toBeInstanceOf(TypeError);
    expect(server?.io.metrics.handlerErrors).toBe(1);
  });

  it("so does the rejection of an async middleware, instead of leaving the client to time out", async () => {
    const logger = memoryLogger();
    expect(await refusal({ logger }, async () => buggy())).toEqual(GENERIC);
    expect(logger.errors[0]).toBeInstanceOf(TypeError);
  });

  it("an error passed to next(err) reaches the client with its message and data, as with Socket.IO", async () => {
    const logger = memoryLogger();
    expect(await refusal({ logger }, (_socket, next) => next(UNAUTHORIZED))).toEqual({ message: "unauthorized", data: { reason: "bad token" } });
    // a refusal is not a bug: nothing is logged
    expect(logger.errors).toHaveLength(0);
  });

  it('exposeMiddlewareErrors: "all" sends thrown exceptions as they are', async () => {
    expect(await refusal({ exposeMiddlewareErrors: "all" }, () => buggy())).toEqual({ message: expect.stringMatching(/^Cannot read properties of undefined/) });
  });

  it('exposeMiddlewareErrors: "none" sends "middleware error" for next(err) too, without its data', async () => {
    expect(await refusal({ exposeMiddlewareErrors: "none" }, (_socket, next) => next(UNAUTHORIZED))).toEqual(GENERIC);
  });

  it("an exception after next() was called changes nothing for the client, and is logged", async () => {
    const logger = memoryLogger();
    server = await startServer({ logger });
    server.io.use((_socket, next) => {
      next();
      buggy();
    });
    const client = await server.client();
    expect(await client.join("/")).toMatchObject({ type: PacketType.CONNECTED });
    expect(logger.errors[0]).toBeInstanceOf(TypeError);
  });

  it('is checked: "next", "all" or "none"', () => {
    expect(resolveOptions().exposeMiddlewareErrors).toBe("next");
    expect(() => resolveOptions({ exposeMiddlewareErrors: false as never })).toThrow(/option "exposeMiddlewareErrors" must be one of "next", "all", "none"/);
  });
});

describe("Middleware errors sent to socket.io-clients", () => {
  let sio: SocketIoTestServer | undefined;
  afterEach(async () => {
    await sio?.close();
    sio = undefined;
  });

  it('get connect_error "middleware error" for an exception, and err.data for next(err)', async () => {
    sio = await startSocketIoServer(CLIENT_MODES[1]);
    sio.io.use((socket, next) => (socket.handshake.auth.token === "bug" ? buggy() : next(UNAUTHORIZED)));
    const [thrown] = await nextEvent<[Error & { data?: unknown }]>(sio.client("/", { auth: { token: "bug" } }), "connect_error");
    expect({ message: thrown.message, data: thrown.data }).toEqual(GENERIC);
    const [refused] = await nextEvent<[Error & { data?: unknown }]>(sio.client("/", { auth: { token: "none" } }), "connect_error");
    expect({ message: refused.message, data: refused.data }).toEqual({ message: "unauthorized", data: { reason: "bad token" } });
  });
});
