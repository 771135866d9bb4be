import { afterEach, describe, expect, it } from "vitest";
import { ErrorCode } from "@roomcast/protocol";
import { resolveOptions } from "../../src/index.js";
import { httpAnswer, rawUpgrade } from "../support/http-request.js";
import { RawClient } from "../support/raw-client.js";
import { startServer, type TestServer } from "../support/server.js";
import { CLIENT_MODES, startSocketIoServer, type SocketIoTestServer } from "../support/socketio-client.js";

const REFUSED = { code: ErrorCode.ORIGIN_REJECTED, message: "origin not allowed" };
const APP = "https://app.example";

/** Opens a roomcast WebSocket with that `Origin` (none when undefined): "open", or the refusal's status and body. */
async function upgrade(server: TestServer, origin?: string): Promise<"open" | { status: number; body: unknown }> {
  try {
    const client = await RawClient.connect(server.url, { headers: origin === undefined ? {} : { origin } });
    client.close();
    return "open";
  } catch (err) {
    const { status, body } = err as { status: number; body: string };
    return { status, body: JSON.parse(body) as unknown };
  }
}

describe("requireOrigin", () => {
  let server: TestServer | undefined;
  let sio: SocketIoTestServer | undefined;
  afterEach(async () => {
    await server?.close();
    await sio?.close();
    server = sio = undefined;
  });

  it("is off by default: an allowlist lets a request without Origin (not a browser) through", async () => {
    server = await startServer({ allowedOrigins: [APP] });
    expect(server.io.options.requireOrigin).toBe(false);
    expect(await upgrade(server)).toBe("open");
  });

  it("refuses a WebSocket upgrade without Origin with 403 ERR_ORIGIN_REJECTED, with allowedOrigins or cors", async () => {
    for (const options of [{ allowedOrigins: [APP] }, { cors: { origin: APP } }, { cors: {} }]) {
      server = await startServer({ ...options, requireOrigin: true });
      expect(await upgrade(server), JSON.stringify(options)).toEqual({ status: 403, body: REFUSED });
      expect(await upgrade(server, APP), JSON.stringify(options)).toBe("open");
      expect(server.io.metrics.upgradesRejected).toBe(1);
      await server.close();
      server = undefined;
    }
  });

  it("refuses before an origin function or a cors delegate runs, which then never see a missing Origin", async () => {
    const seen: (string | undefined)[] = [];
    server = await startServer({
      requireOrigin: true,
      allowedOrigins: (origin) => {
        seen.push(origin);
        return true;
      },
    });
    expect(await upgrade(server)).toMatchObject({ status: 403 });
    expect(await upgrade(server, APP)).toBe("open");
    expect(seen).toEqual([APP]);
    await server.close();
    let delegated = 0;
    server = await startServer({
      requireOrigin: true,
      cors: (_req, callback) => {
        delegated++;
        callback(null, { origin: true });
      },
    });
    expect(await upgrade(server)).toMatchObject({ status: 403 });
    expect(delegated).toBe(0);
  });

  it("refuses the Socket.IO endpoint's long-polling requests and WebSocket upgrades without Origin", async () => {
    // the session the handshake opens is not waited for at close
    sio = await startSocketIoServer(CLIENT_MODES[0], { cors: { origin: APP }, requireOrigin: true, closeTimeout: 0 });
    const handshake = "/socket.io/?EIO=4&transport=polling";
    const bare = await httpAnswer(sio.port, "GET", handshake);
    expect(bare.status).toBe(403);
    expect(JSON.parse(bare.body)).toEqual(REFUSED);
    const browser = await httpAnswer(sio.port, "GET", handshake, { Origin: APP });
    expect(browser.status).toBe(200);
    expect(browser.headers["access-control-allow-origin"]).toBe(APP);
    const ws = await rawUpgrade(sio.port, "/socket.io/?EIO=4&transport=websocket");
    await ws.whenClosed;
    expect(ws.answered).toMatch(/^HTTP\/1\.1 403 [\s\S]*ERR_ORIGIN_REJECTED/);
  });

  it("is checked: a boolean, and only with an origin allowlist (cors or allowedOrigins)", () => {
    expect(() => resolveOptions({ requireOrigin: "yes" as never, cors: true })).toThrow(/option "requireOrigin" must be a boolean/);
    expect(() => resolveOptions({ requireOrigin: true })).toThrow(/"requireOrigin".*"cors" or "allowedOrigins"/);
    expect(() => resolveOptions({ requireOrigin: false })).not.toThrow();
  });
});
