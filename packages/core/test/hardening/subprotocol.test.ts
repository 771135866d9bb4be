import { afterEach, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { AUTH_SUBPROTOCOL_PREFIX, PacketType, Subprotocol } from "@roomcast/protocol";
import type { Socket } from "../../src/index.js";
import type { EngineConnectionError } from "../../src/engine/engine.js";
import { CLIENT_MODES, connectedOnce, startSocketIoServer, type SocketIoTestServer, upgraded } from "../support/socketio-client.js";
import { once, startServer, type TestServer, waitUntil } from "../support/server.js";

/** How an upgrade offering `protocols` ended: 101 with the selected subprotocol, or a refusal's status and body. */
interface Outcome {
  status: number;
  /** `Sec-WebSocket-Protocol` of a 101 (undefined when absent). */
  selected?: string | undefined;
  body?: unknown;
  ws?: WebSocket;
  /** Messages received so far: the Socket.IO endpoint sends its open packet with the 101. */
  messages?: string[];
}

/**
 * Opens a WebSocket offering `protocols` (none when undefined). ws's client would fail a 101 that
 * selects no subprotocol of a non-empty offer, so the header is read from the raw response.
 */
function offer(url: string, protocols: string[] | undefined): Promise<Outcome> {
  return new Promise((resolve, reject) => {
    const ws = protocols === undefined ? new WebSocket(url) : new WebSocket(url, protocols);
    let selected: string | undefined;
    const messages: string[] = [];
    ws.on("message", (data) => messages.push(String(data)));
    ws.on("error", () => {});
    ws.once("upgrade", (res) => {
      selected = res.headers["sec-websocket-protocol"];
    });
    ws.once("open", () => resolve({ status: 101, selected, ws, messages }));
    ws.once("unexpected-response", (_req, res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => (body += chunk));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(body) as unknown }));
    });
    ws.once("close", () => reject(new Error(`closed without an answer (selected ${selected})`)));
  });
}

const authEntry = (auth: Record<string, unknown>): string => AUTH_SUBPROTOCOL_PREFIX + Buffer.from(JSON.stringify(auth)).toString("base64url");

const REFUSAL = { code: "ERR_UNSUPPORTED_SUBPROTOCOL", message: expect.stringContaining(Subprotocol.JSON) };

describe("Sec-WebSocket-Protocol on the roomcast endpoint", () => {
  let server: TestServer;
  const sockets: WebSocket[] = [];
  afterEach(async () => {
    for (const ws of sockets.splice(0)) ws.close();
    await server?.close();
  });

  async function open(protocols: string[] | undefined): Promise<Outcome> {
    const outcome = await offer(server.url, protocols);
    if (outcome.ws) sockets.push(outcome.ws);
    return outcome;
  }

  it("refuses an offer of only unknown subprotocols with 400 and ERR_UNSUPPORTED_SUBPROTOCOL", async () => {
    server = await startServer();
    const errors: EngineConnectionError[] = [];
    server.io.engine.on("connection_error", (err) => errors.push(err));
    expect(await open(["chat"])).toEqual({ status: 400, body: REFUSAL });
    expect(await open(["roomcast.v2.json"])).toEqual({ status: 400, body: REFUSAL });
    expect(await open(["chat", "roomcast.v2.msgpack"])).toEqual({ status: 400, body: REFUSAL });
    expect(server.io.metrics.upgradesRejected).toBe(3);
    expect(server.io.metrics.connections).toBe(0);
    expect(errors.map((err) => err.context.code)).toEqual(Array(3).fill("ERR_UNSUPPORTED_SUBPROTOCOL"));
  });

  it("refuses credentials offered without a codec: the auth entry is never selected", async () => {
    server = await startServer();
    expect(await open([authEntry({ token: "t" })])).toEqual({ status: 400, body: REFUSAL });
  });

  it("serves JSON, selecting nothing, to a request that offers no subprotocol at all", async () => {
    server = await startServer();
    const outcome = await open(undefined);
    expect(outcome).toMatchObject({ status: 101, selected: undefined });
    outcome.ws!.send(JSON.stringify([0, "/"]));
    await waitUntil(() => outcome.messages!.length > 0);
    expect(JSON.parse(outcome.messages![0])).toMatchObject([PacketType.CONNECTED, "/", { sid: expect.any(String) }]);
  });

  it("selects the roomcast codec among unknown names", async () => {
    server = await startServer();
    expect(await open(["chat", Subprotocol.MSGPACK, "roomcast.v2.json"])).toMatchObject({ status: 101, selected: Subprotocol.MSGPACK });
    expect(await open(["roomcast.v2.json", Subprotocol.JSON])).toMatchObject({ status: 101, selected: Subprotocol.JSON });
  });

  it("selects the codec and takes handshake.auth from a roomcast.auth entry next to it", async () => {
    server = await startServer();
    const connection = once<Socket>(server.io, "connection");
    const client = await server.client({ extraProtocols: ["chat", authEntry({ token: "from-header" })] });
    expect(client.ws.protocol).toBe(Subprotocol.JSON);
    await client.joinOk();
    expect((await connection).handshake.auth).toEqual({ token: "from-header" });
  });
});

describe("Sec-WebSocket-Protocol on the Socket.IO endpoint (as Engine.IO: the first offered name is selected)", () => {
  let server: SocketIoTestServer;
  afterEach(() => server?.close());

  it("accepts a WebSocket that offers no subprotocol, selecting none", async () => {
    server = await startSocketIoServer(CLIENT_MODES[1]);
    const outcome = await offer(`ws://127.0.0.1:${server.port}/socket.io/?EIO=4&transport=websocket`, undefined);
    expect(outcome).toMatchObject({ status: 101, selected: undefined });
    outcome.ws!.close();
  });

  it("accepts and selects an unrelated subprotocol, where the roomcast endpoint refuses it", async () => {
    server = await startSocketIoServer(CLIENT_MODES[1]);
    const outcome = await offer(`ws://127.0.0.1:${server.port}/socket.io/?EIO=4&transport=websocket`, ["chat", "other"]);
    expect(outcome).toMatchObject({ status: 101, selected: "chat" });
    await waitUntil(() => outcome.messages!.length > 0);
    expect(outcome.messages![0]).toMatch(/^0\{"sid":/);
    outcome.ws!.close();
  });

  for (const mode of CLIENT_MODES) {
    it(`connects a socket.io-client with protocols: ["chat"] (${mode.name})`, async () => {
      server = await startSocketIoServer(mode);
      const socket = server.client("/", { protocols: ["chat"] });
      await connectedOnce(socket);
      await upgraded(socket);
      expect(socket.io.engine.transport.name).toBe("websocket");
    });
  }
});
