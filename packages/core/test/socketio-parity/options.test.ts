import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { PacketType } from "@roomcast/protocol";
import { DEFAULT_OPTIONS, Server, resolveOptions, type ServerOptionsInput } from "../../src/index.js";
import { OPTION_TABLE } from "../../src/server/option-table.js";
import { RawClient } from "../support/raw-client.js";
import { memoryLogger, startServer, type TestServer } from "../support/server.js";

/* Socket.IO 4.8's ServerOptions (socket.io/lib/index.ts) */
const SOCKET_IO = ["path", "serveClient", "adapter", "parser", "connectTimeout", "connectionStateRecovery", "cleanupEmptyChildNamespaces"];
/* Engine.IO 6's ServerOptions and AttachOptions (engine.io/lib/server.ts), which Socket.IO's extend */
const ENGINE_IO = [
  "pingTimeout",
  "pingInterval",
  "upgradeTimeout",
  "maxHttpBufferSize",
  "allowRequest",
  "transports",
  "allowUpgrades",
  "perMessageDeflate",
  "httpCompression",
  "wsEngine",
  "initialPacket",
  "cookie",
  "cors",
  "allowEIO3",
];
const ENGINE_IO_ATTACH = ["destroyUpgrade", "destroyUpgradeTimeout", "addTrailingSlash"];

/** What resolveOptions throws for `options` (JavaScript callers can pass anything). */
function thrown(options: Record<string, unknown>): unknown {
  try {
    resolveOptions(options as ServerOptionsInput);
  } catch (err) {
    return err;
  }
  return undefined;
}

describe("Server options", () => {
  describe("the option table", () => {
    it("has a rule for every option of Socket.IO 4.8's server, Engine.IO's server and its attach options", () => {
      for (const name of SOCKET_IO) expect(OPTION_TABLE[name]?.source, name).toBe("socket.io");
      for (const name of [...ENGINE_IO, ...ENGINE_IO_ATTACH]) expect(OPTION_TABLE[name]?.source, name).toBe("engine.io");
    });

    it("has a rule for every resolved option, and every rule is one of supported, mapped or refused", () => {
      for (const name of Object.keys(DEFAULT_OPTIONS)) expect(OPTION_TABLE[name], name).toBeDefined();
      for (const [name, rule] of Object.entries(OPTION_TABLE)) expect(["supported", "mapped", "refused"], name).toContain(rule.decision);
    });

    it("resolves resolved options to themselves (io.options can build another server)", () => {
      for (const input of [
        { socketio: true },
        { socketio: { path: "/sio", polling: false }, allowUpgrades: false },
        { socketio: true, transports: ["polling"] as const },
        { allowedOrigins: ["https://app.example"], maxHttpBufferSize: 10 },
        { cors: true, shutdown: { batchSize: 5 } },
      ] satisfies ServerOptionsInput[]) {
        const resolved = resolveOptions(input);
        expect(resolveOptions(resolved), JSON.stringify(input)).toEqual(resolved);
      }
    });

    it("accepts every supported option at its default value", () => {
      const defaults = { ...DEFAULT_OPTIONS } as Record<string, unknown>;
      // `socketio: false` and the endpoint's defaults go together
      expect(resolveOptions(defaults as ServerOptionsInput)).toEqual(DEFAULT_OPTIONS);
    });
  });

  describe("unknown options", () => {
    it("throws a TypeError naming the option and the nearest known name", () => {
      const err = thrown({ pingIntervall: 1000 });
      expect(err).toBeInstanceOf(TypeError);
      expect((err as Error).message).toBe(`unknown option "pingIntervall"; did you mean "pingInterval"? (@roomcast/core's README, "Options", lists every option)`);
      expect((thrown({ fooBarBaz: 1 }) as Error).message).toMatch(/^unknown option "fooBarBaz" \(@roomcast\/core's README/);
    });

    it("points Socket.IO 2's origins at cors", () => {
      expect((thrown({ origins: ["https://app.example"] }) as Error).message).toMatch(/"origins" became "cors"/);
    });

    it("treats options set to undefined as not given", () => {
      expect(resolveOptions({ pingInterval: undefined, cors: undefined })).toEqual(DEFAULT_OPTIONS);
    });

    it("refuses options that are not an object", () => {
      expect(() => resolveOptions([] as never)).toThrow(TypeError);
      expect(() => resolveOptions(null as never)).toThrow(TypeError);
    });
  });

  describe("Socket.IO options roomcast does not support", () => {
    it.each([
      ["serveClient", true, /serve socket\.io-client's dist\/socket\.io\.min\.js with your static files/],
      ["parser", {}, /custom parsers are not supported/],
      ["wsEngine", class {}, /roomcast uses ws/],
      ["allowEIO3", true, /only Engine\.IO v4 clients \(socket\.io-client 3 and later\)/],
      ["httpCompression", true, /long-polling responses are sent uncompressed/],
      ["httpCompression", { threshold: 1024 }, /reverse proxy/],
      ["cookie", { name: "io" }, /sticky sessions/],
      ["cookie", true, /roomcast sets no cookie/],
      ["initialPacket", "hello", /emit the data from io.on\("connection"\)/],
    ])("%s: %o throws a TypeError that says what to use instead", (name, value, advice) => {
      const err = thrown({ [name]: value });
      expect(err).toBeInstanceOf(TypeError);
      expect((err as Error).message).toContain(`option "${name}" is not supported`);
      expect((err as Error).message).toMatch(advice);
    });

    it("accepts the value that states what roomcast does anyway", () => {
      expect(resolveOptions({ serveClient: false, allowEIO3: false, httpCompression: false, cookie: false, addTrailingSlash: false })).toEqual(DEFAULT_OPTIONS);
    });
  });

  describe("values of the wrong type or range", () => {
    it.each([
      [{ pingInterval: "abc" }, 'option "pingInterval" must be a number of milliseconds from 1 to 2147483647; got "abc"'],
      [{ maxPayload: -1 }, 'option "maxPayload" must be an integer number of bytes >= 1; got -1'],
      [{ maxPayload: 1.5 }, 'option "maxPayload" must be an integer number of bytes >= 1; got 1.5'],
      [{ maxHttpBufferSize: "1mb" }, 'option "maxHttpBufferSize" must be an integer number of bytes >= 1; got "1mb"'],
      [{ pingTimeout: 2 ** 31 }, 'option "pingTimeout" must be a number of milliseconds from 1 to 2147483647; got 2147483648'],
      [{ connectTimeout: 0 }, 'option "connectTimeout" must be a number of milliseconds from 1 to 2147483647; got 0'],
      [{ path: "socket.io" }, 'option "path" must be a path starting with "/" (no query, fragment or spaces); got "socket.io"'],
      [{ adapter: "redis" }, 'option "adapter" must be a function; got "redis"'],
      [{ allowRequest: true }, 'option "allowRequest" must be a function; got true'],
      [{ cleanupEmptyChildNamespaces: "yes" }, 'option "cleanupEmptyChildNamespaces" must be a boolean; got "yes"'],
      [{ destroyUpgrade: 1 }, 'option "destroyUpgrade" must be a boolean; got 1'],
      [{ destroyUpgradeTimeout: -5 }, 'option "destroyUpgradeTimeout" must be a number of milliseconds from 1 to 2147483647; got -5'],
      [{ maxConnectionsPerIp: -1 }, 'option "maxConnectionsPerIp" must be an integer number of connections >= 0; got -1'],
      [{ shutdown: { batchSize: 0 } }, 'option "shutdown.batchSize" must be an integer number of connections >= 1; got 0'],
      [{ perMessageDeflate: "yes" }, `option "perMessageDeflate" must be a boolean or ws's permessage-deflate options; got "yes"`],
      [{ transports: "websocket" }, 'option "transports" must be a non-empty array of "polling" and "websocket"; got "websocket"'],
      [{ transports: [] }, 'option "transports" must be a non-empty array of "polling" and "websocket"; got an array'],
      [{ cors: "https://app.example" }, 'option "cors" must be a boolean, a CorsOptions object or a function (req, callback); got "https://app.example"'],
      [{ cors: { maxAge: "1h" } }, 'option "cors.maxAge" must be an integer number of seconds >= 0; got "1h"'],
      [{ socketio: "yes" }, 'option "socketio" must be a boolean or { path?: string, polling?: boolean }; got "yes"'],
      [{ socketio: { path: "socket.io" } }, 'option "socketio.path" must be a path starting with "/" (no query, fragment or spaces); got "socket.io"'],
      [{ connectionStateRecovery: { maxDisconnectionDuration: "2m" } }, 'option "connectionStateRecovery.maxDisconnectionDuration" must be a number of milliseconds from 1 to 2147483647; got "2m"'],
      [{ allowedOrigins: "https://app.example" }, 'option "allowedOrigins" must be an array of strings and RegExps, or a function (origin) => boolean; got "https://app.example"'],
      [{ logger: { warn: () => {} } }, 'option "logger" must be an object with warn(message, error) and error(message, error) functions; got an object'],
      [{ rateLimit: { eventsPerSecond: "5", burst: 1, onExceeded: "drop" } }, 'option "rateLimit.eventsPerSecond" must be a number; got "5"'],
    ])("%o: %s", (options, message) => {
      const err = thrown(options);
      expect(err).toBeInstanceOf(TypeError);
      expect((err as Error).message).toBe(message);
    });

    it.each([
      [{ perMessageDeflate: { treshold: 1024 } }, "perMessageDeflate.treshold"],
      [{ cors: { origins: ["https://app.example"] } }, "cors.origins"],
      [{ socketio: { pollng: false } }, "socketio.pollng"],
      [{ connectionStateRecovery: { maxDisconectionDuration: 1000 } }, "connectionStateRecovery.maxDisconectionDuration"],
      [{ rateLimit: { eventsPerSecond: 1, burst: 1, onExceeded: "drop", window: 1 } }, "rateLimit.window"],
    ])("%o: an unknown nested option is named with its path", (options, name) => {
      const err = thrown(options);
      expect(err).toBeInstanceOf(TypeError);
      expect((err as Error).message).toMatch(new RegExp(`^unknown option "${name.replace(".", "\\.")}"`));
    });

    it("refuses values that Engine.IO accepts but roomcast cannot honour", () => {
      expect((thrown({ transports: ["polling", "webtransport"] }) as Error).message).toMatch(/"webtransport" is not supported/);
      expect((thrown({ cors: { preflightContinue: true } }) as Error).message).toMatch(/answers preflight \(OPTIONS\) requests itself/);
      expect((thrown({ cors: { origin: 42 } }) as Error).message).toMatch(/^option "cors.origin" must be a boolean, a string, a RegExp/);
    });

    it("keeps rateLimit's documented RangeError for values out of range", () => {
      expect(() => resolveOptions({ rateLimit: { eventsPerSecond: 0, burst: 1, onExceeded: "drop" } })).toThrow(RangeError);
    });
  });

  describe("mapped options", () => {
    it("maxHttpBufferSize is maxPayload", () => {
      expect(resolveOptions({ maxHttpBufferSize: 500 }).maxPayload).toBe(500);
      expect(resolveOptions({ maxHttpBufferSize: 500, maxPayload: 500 }).maxPayload).toBe(500);
      expect(() => resolveOptions({ maxHttpBufferSize: 500, maxPayload: 600 })).toThrow(/"maxPayload" and "maxHttpBufferSize" are the same limit/);
    });

    it("allowedOrigins is cors.origin; cors: true is every origin, false is off", () => {
      expect(resolveOptions({ allowedOrigins: ["https://app.example"] }).cors).toEqual({ origin: ["https://app.example"] });
      expect(typeof (resolveOptions({ allowedOrigins: () => true }).cors as { origin: unknown }).origin).toBe("function");
      expect(resolveOptions({ cors: true }).cors).toEqual({});
      expect(resolveOptions({ cors: false }).cors).toBeUndefined();
      expect(() => resolveOptions({ cors: {}, allowedOrigins: [] })).toThrow(/"cors" and "allowedOrigins" both set/);
    });
  });

  describe("socketio and the Socket.IO endpoint's options", () => {
    it("is off by default; true serves /socket.io/ over long-polling and WebSocket", () => {
      expect(resolveOptions({}).socketio).toBe(false);
      expect(resolveOptions({ socketio: true })).toMatchObject({ socketio: { path: "/socket.io/", polling: true }, transports: ["polling", "websocket"] });
    });

    it("ends the path with a slash and folds socketio.polling and transports into one answer", () => {
      expect(resolveOptions({ socketio: { path: "/rt" } }).socketio).toEqual({ path: "/rt/", polling: true });
      expect(resolveOptions({ socketio: { polling: false } })).toMatchObject({ socketio: { polling: false }, transports: ["websocket"] });
      expect(resolveOptions({ socketio: true, transports: ["websocket"] })).toMatchObject({ socketio: { polling: false }, transports: ["websocket"] });
      expect(resolveOptions({ socketio: true, transports: ["polling"] })).toMatchObject({ socketio: { polling: true }, transports: ["polling"] });
    });

    it("refuses combinations that cannot mean anything", () => {
      expect(() => resolveOptions({ socketio: { polling: true }, transports: ["websocket"] })).toThrow(/disagree/);
      expect(() => resolveOptions({ socketio: { polling: false }, transports: ["polling"] })).toThrow(/would serve nothing/);
      expect(() => resolveOptions({ socketio: { path: "/roomcast" } })).toThrow(/need paths of their own/);
      expect(() => resolveOptions({ path: "/socket.io", socketio: true })).toThrow(/need paths of their own/);
    });

    it("without socketio, refuses endpoint options that would do nothing", () => {
      expect(resolveOptions({ transports: ["websocket"], allowUpgrades: true, upgradeTimeout: 10_000 }).socketio).toBe(false);
      expect(() => resolveOptions({ transports: ["polling", "websocket"] })).toThrow(/roomcast's own protocol is WebSocket only/);
      expect(() => resolveOptions({ allowUpgrades: false })).toThrow(/"allowUpgrades" applies to the Socket.IO endpoint/);
      expect(() => resolveOptions({ upgradeTimeout: 5000 })).toThrow(/"upgradeTimeout" applies to the Socket.IO endpoint/);
      expect(resolveOptions({ socketio: true, allowUpgrades: false, upgradeTimeout: 5000 })).toMatchObject({ allowUpgrades: false, upgradeTimeout: 5000 });
    });
  });

  describe("on a real server", () => {
    let server: TestServer | undefined;
    afterEach(async () => {
      await server?.close();
      server = undefined;
    });

    it("the constructor throws before binding anything", async () => {
      const http = createServer();
      expect(() => new Server(http, { serveClient: true } as never)).toThrow(TypeError);
      expect(() => new Server(http, { pingInterval: "abc" } as never)).toThrow(/option "pingInterval"/);
      expect(http.listenerCount("upgrade")).toBe(0);
      expect(http.listenerCount("request")).toBe(0);
    });

    it("a Socket.IO app's options build a server that serves roomcast clients with them", async () => {
      server = await startServer({ pingInterval: 1234, pingTimeout: 2345, connectTimeout: 5000, maxHttpBufferSize: 100, transports: ["websocket"], destroyUpgrade: true });
      const client = await server.client();
      const connected = await client.join("/");
      expect(connected).toMatchObject({ type: PacketType.CONNECTED, info: { pingInterval: 1234, pingTimeout: 2345 } });
      client.emit("/", "big", "x".repeat(200));
      expect((await client.closed).code).toBe(1009);
    });

    it("connectionStateRecovery in Socket.IO's shape turns recovery on with those settings", async () => {
      server = await startServer({ connectionStateRecovery: { maxDisconnectionDuration: 60_000, skipMiddlewares: false } });
      expect(server.io.sockets.recovery).toMatchObject({ maxDisconnectionDuration: 60_000, skipMiddlewares: false });
      const client = await server.client();
      expect(await client.join("/")).toMatchObject({ type: PacketType.CONNECTED, info: { pid: expect.any(String), recovered: false } });
    });

    it("new Server(port, options) checks the options before listening", async () => {
      expect(() => new Server(0, { cookie: { name: "io" } } as never)).toThrow(/option "cookie" is not supported/);
      const io = new Server(0, { logger: memoryLogger(), serveClient: false } as never);
      await new Promise((resolve) => setTimeout(resolve, 20));
      const port = (io.httpServer?.address() as AddressInfo).port;
      const client = await RawClient.connect(`ws://127.0.0.1:${port}/roomcast`);
      await client.joinOk("/");
      client.close();
      await io.close();
    });
  });
});
