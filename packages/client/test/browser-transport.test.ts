import { afterEach, describe, expect, it, vi } from "vitest";

// This file builds clients the way a browser bundle does: with the browser transport.
vi.mock("#websocket", () => import("../src/transport/websocket-browser.js"));

const { Manager } = await import("../src/manager.js");
const { once } = await import("./support/clients.js");

/** Enough of a browser WebSocket to watch what the client does with one. */
class FakeWebSocket {
  static last: FakeWebSocket | undefined;
  binaryType = "blob";
  protocol = "";
  onopen: (() => void) | null = null;
  onerror: (() => void) | null = null;
  onclose: ((event: { code: number; reason: string }) => void) | null = null;
  onmessage: ((event: { data: unknown }) => void) | null = null;
  constructor(readonly url: string) {
    FakeWebSocket.last = this;
  }
  send(): void {}
  close(): void {}
  /** What a browser does when the handshake fails: an error event without details, then close 1006. */
  failHandshake(): void {
    this.onerror?.();
    this.onclose?.({ code: 1006, reason: "" });
  }
}

describe("in a browser", () => {
  afterEach(() => {
    vi.unstubAllGlobals();
  });

  describe("Node-only options", () => {
    it.each(["ca", "cert", "key", "pfx", "passphrase", "ciphers", "rejectUnauthorized", "agent"])(
      "%s: building a client throws a TypeError saying it only applies on Node",
      (name) => {
        expect(() => new Manager("https://app.example", { autoConnect: false, [name]: false })).toThrow(
          new TypeError(`roomcast: option "${name}" only applies on Node (browsers use their own TLS and proxy settings)`),
        );
      },
    );

    it("undefined means not given, so isomorphic code can leave them out in browsers", () => {
      expect(() => new Manager("https://app.example", { autoConnect: false, ca: undefined, rejectUnauthorized: undefined })).not.toThrow();
    });

    it("withCredentials is accepted: browsers send the host's cookies on a WebSocket upgrade by their own rules", () => {
      expect(new Manager("https://app.example", { autoConnect: false, withCredentials: true }).opts.withCredentials).toBe(true);
    });
  });

  describe("a handshake that fails", () => {
    it("gives a connect_error that names the endpoint (not the query) and the likely causes, since the browser hides the status", async () => {
      vi.stubGlobal("WebSocket", FakeWebSocket);
      const manager = new Manager("https://app.example", { autoConnect: false, reconnection: false, query: { token: "s3cret" } });
      const socket = manager.socket("/");
      const errored = once<[Error]>(socket, "connect_error");
      socket.connect();
      expect(FakeWebSocket.last?.url).toBe("wss://app.example/roomcast?token=s3cret");
      FakeWebSocket.last!.failHandshake();
      const [err] = await errored;
      expect(err.message).toBe(
        "WebSocket connection to wss://app.example/roomcast failed (browsers do not say why: is a roomcast server listening at this path?)",
      );
      expect(manager.engine.readyState).toBe("closed");
      manager.close();
    });
  });
});
