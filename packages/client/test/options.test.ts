import { describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import { Agent } from "node:https";
import { msgpackCodec } from "../src/msgpack.js";
import { io, Manager, type ClientOptions } from "../src/index.js";
import { REFUSED, SUPPORTED } from "../src/client-options.js";

const URL = "http://127.0.0.1:1";

/* builds without connecting: autoConnect false, so no test here opens a socket */
const build = (opts: Record<string, unknown>) => new Manager(URL, { autoConnect: false, ...opts } as ClientOptions);

describe("client options", () => {
  describe("supported options", () => {
    it("keeps every option socket.io-client and roomcast share, and shows the resolved set in manager.opts", () => {
      const given: ClientOptions = {
        path: "/rc",
        reconnection: false,
        reconnectionAttempts: 5,
        reconnectionDelay: 10,
        reconnectionDelayMax: 100,
        randomizationFactor: 0.5,
        timeout: 3000,
        autoConnect: false,
        query: { room: "a" },
        extraHeaders: { "x-app": "1" },
        auth: { token: "t" },
        ackTimeout: 1000,
        retries: Infinity,
        forceNew: true,
        multiplex: false,
        withCredentials: true,
        transports: ["websocket"],
        upgrade: false,
        rememberUpgrade: true,
        tryAllTransports: false,
      };
      const manager = new Manager(URL, given);
      expect(manager.opts).toMatchObject(given);
      expect(manager.reconnectionDelay()).toBe(10);
      expect(manager.uri).toBe("ws://127.0.0.1:1/rc?room=a");
    });

    it("fills in the defaults, and treats undefined as not given", () => {
      const manager = build({ path: undefined, timeout: undefined, auth: undefined });
      expect(manager.opts).toMatchObject({ path: "/roomcast", timeout: 20_000, reconnectionDelay: 1000, randomizationFactor: 1 });
      expect(manager.uri).toBe("ws://127.0.0.1:1/roomcast");
    });

    it("accepts the roomcast options", () => {
      expect(() => build({ codec: msgpackCodec, authInSubprotocol: true, maxBufferedPackets: 10, auth: (cb: () => void) => cb() })).not.toThrow();
    });

    it("accepts a transports list that starts with websocket (socket.io-client only tries the first entry)", () => {
      expect(() => build({ transports: ["websocket", "polling"] })).not.toThrow();
    });

    it("accepts the Node-only options on Node", () => {
      const agent = new Agent();
      expect(() =>
        build({ ca: ["a", Buffer.from("b")], cert: "c", key: [{ pem: "k", passphrase: "p" }], pfx: Buffer.from("x"), passphrase: "p", ciphers: "HIGH", rejectUnauthorized: false, agent }),
      ).not.toThrow();
      expect(() => build({ agent: false })).not.toThrow();
      agent.destroy();
    });
  });

  describe("refused socket.io-client options", () => {
    it.each(Object.entries(REFUSED))("%s: throws a TypeError naming it and saying what to do instead", (name, instead) => {
      // true everywhere, except for the one option whose socket.io-client default is true
      const value = name !== "addTrailingSlash";
      expect(() => build({ [name]: value })).toThrow(new TypeError(`roomcast: option "${name}" is not supported: ${instead}`));
    });

    it("accepts a refused option given socket.io-client's own default, which asks for nothing different", () => {
      expect(() => build({ closeOnBeforeunload: false, forceBase64: false, addTrailingSlash: true, useNativeTimers: false, autoUnref: false })).not.toThrow();
      expect(() => build({ closeOnBeforeunload: true })).toThrow(/"closeOnBeforeunload" is not supported/);
    });

    it("points parser to codec", () => {
      expect(() => build({ parser: {} })).toThrow(/"parser" is not supported: use `codec`/);
    });

    it("throws for the legacy and untyped names too, as unknown options", () => {
      expect(() => build({ "force new connection": true })).toThrow(TypeError);
      expect(() => build({ localAddress: "127.0.0.2" })).toThrow('roomcast: option "localAddress" is unknown');
    });
  });

  describe("unknown options", () => {
    it("throws a TypeError naming the option", () => {
      expect(() => build({ reconectionDelay: 10 })).toThrow(new TypeError(`roomcast: option "reconectionDelay" is unknown (see @roomcast/client's README)`));
    });

    it("does not mistake names inherited from Object.prototype for options", () => {
      expect(() => build({ constructor: 1 })).toThrow('roomcast: option "constructor" is unknown');
      expect(() => build({ toString: 1 })).toThrow('roomcast: option "toString" is unknown');
    });
  });

  describe("values", () => {
    it.each([
      ["reconnectionDelay", "abc", 'ms from 0 to 2147483647, got "abc"'],
      ["timeout", -1, "ms from 0 to 2147483647, got -1"],
      ["timeout", NaN, "got NaN"],
      // beyond 2^31-1 ms, timers fire at once: a reconnect storm, not a long wait
      ["reconnectionDelayMax", Infinity, "got Infinity"],
      ["reconnectionAttempts", 1.5, "a whole number >= 0 or Infinity, got 1.5"],
      ["retries", -1, "a whole number >= 0 or Infinity"],
      ["maxBufferedPackets", 0, "a whole number >= 1 or Infinity, got 0"],
      ["randomizationFactor", 2, "a number from 0 to 1, got 2"],
      ["path", 5, "a string, got 5"],
      ["autoConnect", "yes", 'a boolean, got "yes"'],
      ["query", ["a"], 'an object, got ["a"]'],
      ["extraHeaders", null, "an object, got null"],
      ["auth", "token", "an object or a function"],
      ["codec", 1n, "an object, got 1"],
      ["withCredentials", "include", 'a boolean, got "include"'],
      ["upgrade", 1, "a boolean, got 1"],
    ])("%s: %s throws a TypeError naming the option", (name, value, expected) => {
      let thrown: unknown;
      try {
        build({ [name]: value });
      } catch (err) {
        thrown = err;
      }
      expect(thrown).toBeInstanceOf(TypeError);
      expect((thrown as Error).message).toContain(`roomcast: option "${name}" must be`);
      expect((thrown as Error).message).toContain(expected);
    });

    it.each([["polling"], ["webtransport"], ["websocket", "carrier-pigeon"], [], "websocket", [class {}]])(
      "transports %j: throws a TypeError saying the client is WebSocket-only",
      (...transports) => {
        const value = transports.length === 1 && !Array.isArray(transports[0]) ? transports[0] : transports;
        expect(() => build({ transports: value })).toThrow(
          /^roomcast: option "transports" must be a list that includes "websocket" \(roomcast's client is WebSocket-only\), got /,
        );
      },
    );

    it("transports: any list with websocket is accepted, socket.io-client's default order included (it ends on a WebSocket too)", () => {
      for (const transports of [["websocket"], ["websocket", "polling"], ["polling", "websocket"]]) expect(() => build({ transports })).not.toThrow();
    });

    it("tryAllTransports: true throws, since there is nothing else to try", () => {
      expect(() => build({ tryAllTransports: true })).toThrow(`option "tryAllTransports" must be false (roomcast's client is WebSocket-only), got true`);
    });

    it.each([
      ["ca", 5, "PEM text, a Buffer or an array of them, got number"],
      ["cert", [5], "PEM text, a Buffer or an array of them, got object"],
      ["passphrase", 1234, "a string, got number"],
      ["rejectUnauthorized", "false", "a boolean, got string"],
      ["agent", true, "an http.Agent / https.Agent or false, got boolean"],
      ["agent", null, "got null"],
    ])("Node-only %s: %j throws a TypeError naming the option", (name, value, expected) => {
      expect(() => build({ [name]: value })).toThrow(new RegExp(`^roomcast: option "${name}" must be .*${expected.replace(/[/.*()[\]]/g, "\\$&")}`));
    });

    it("throws when the options are not an object", () => {
      expect(() => new Manager(URL, 5 as never)).toThrow(new TypeError("roomcast: options must be an object"));
    });
  });

  describe("where options are checked", () => {
    it("io() checks them even when it reuses a cached manager", () => {
      const first = io("http://127.0.0.1:2/a", { autoConnect: false });
      expect(() => io("http://127.0.0.1:2/b", { autoConnect: false, ackTimeout: -5 })).toThrow(/"ackTimeout" must be/);
      expect(() => io("http://127.0.0.1:2/b", { path: 7 } as never)).toThrow(/"path" must be a string/);
      first.io.close();
    });

    it("manager.socket() checks the socket options", () => {
      const manager = build({});
      expect(() => manager.socket("/", { retries: "3" } as never)).toThrow(/"retries" must be/);
      expect(() => manager.socket("/", { parser: {} } as never)).toThrow(/"parser" is not supported/);
    });

    it("the Manager setters check their value", () => {
      const manager = build({});
      expect(() => manager.timeout(-1)).toThrow(/"timeout" must be/);
      expect(() => manager.randomizationFactor(1.5)).toThrow(/"randomizationFactor" must be/);
      expect(manager.reconnectionDelayMax(2000).reconnectionDelayMax()).toBe(2000);
    });
  });

  describe("documentation", () => {
    it("the README lists every supported and every refused option", () => {
      const readme = readFileSync(new globalThis.URL("../README.md", import.meta.url), "utf8");
      for (const name of [...Object.keys(SUPPORTED), ...Object.keys(REFUSED)]) expect(readme, name).toContain(`\`${name}\``);
    });
  });
});
