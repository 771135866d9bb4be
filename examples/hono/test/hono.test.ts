import { io as roomcastClient, type Socket as RoomcastSocket } from "@roomcast/client";
import { io as socketIoClient, type Socket as SocketIoSocket } from "socket.io-client";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { start } from "../src/app.js";
import type { ClientToServer, ServerToClient } from "../src/events.js";
import { connected, nextEvent } from "./support/events.js";

type Message = Parameters<ServerToClient["message"]>[0];

describe("Hono on @hono/node-server + roomcast on the same server", () => {
  let app: Awaited<ReturnType<typeof start>> | undefined;
  const opened: { disconnect(): unknown }[] = [];

  beforeEach(async () => {
    app = await start({ port: 0 });
  });

  afterEach(async () => {
    for (const socket of opened.splice(0)) socket.disconnect();
    await app?.close();
    app = undefined;
  });

  function roomcast(auth: Record<string, unknown>): RoomcastSocket<ServerToClient, ClientToServer> {
    const socket = roomcastClient<ServerToClient, ClientToServer>(app!.url, { forceNew: true, reconnection: false, auth });
    opened.push(socket);
    return socket;
  }

  /** Default transports: long-polling through the Node server first, then the upgrade. */
  function socketIo(auth: Record<string, unknown>): SocketIoSocket<ServerToClient, ClientToServer> {
    const socket: SocketIoSocket<ServerToClient, ClientToServer> = socketIoClient(app!.url, { forceNew: true, reconnection: false, auth });
    opened.push(socket);
    return socket;
  }

  async function getJson(path: string): Promise<unknown> {
    const res = await fetch(`${app!.url}${path}`, { signal: AbortSignal.timeout(5000) });
    expect(res.status).toBe(200);
    return res.json();
  }

  async function postMessage(room: string, body: unknown): Promise<{ status: number; body: unknown }> {
    const res = await fetch(`${app!.url}/rooms/${room}/messages`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: typeof body === "string" ? body : JSON.stringify(body),
      signal: AbortSignal.timeout(5000),
    });
    return { status: res.status, body: await res.json() };
  }

  it("serves Hono's routes and both socket endpoints on one port", async () => {
    const [ada, bo] = [roomcast({ name: "ada" }), socketIo({ name: "bo" })];
    const upgraded = nextEvent(bo.io.engine, "upgrade");
    await Promise.all([connected(ada), connected(bo), upgraded]);
    expect(bo.io.engine.transport.name).toBe("websocket");
    expect(await getJson("/health")).toEqual({ status: "ok", connections: 2 });
    const missing = await fetch(`${app!.url}/nowhere`, { signal: AbortSignal.timeout(5000) });
    expect(missing.status).toBe(404);
    expect(await missing.text()).toBe("404 Not Found");
  });

  it("refuses a socket without a valid name in its handshake auth, for both clients", async () => {
    for (const [socket, message] of [
      [roomcast({}), "a name is required"],
      [socketIo({ name: "not a name!" }), "that name is not allowed"],
    ] as const) {
      const [err] = await nextEvent<[Error & { data?: unknown }]>(socket, "connect_error");
      expect(err.message).toBe(message);
      expect(err.data).toEqual({ pattern: "^[\\w-]{1,32}$" });
      expect(socket.connected).toBe(false);
    }
  });

  it("joins rooms by event, answering with the members' names, which GET /rooms/:room lists too", async () => {
    const [ada, bo] = [roomcast({ name: "ada" }), socketIo({ name: "bo" })];
    await Promise.all([connected(ada), connected(bo)]);
    expect(await ada.timeout(2000).emitWithAck("join", "garden")).toEqual(["ada"]);
    expect(await bo.timeout(2000).emitWithAck("join", "garden")).toEqual(["ada", "bo"]);
    expect(await getJson("/rooms/garden")).toEqual({ room: "garden", names: ["ada", "bo"] });
    expect(await getJson("/rooms/empty")).toEqual({ room: "empty", names: [] });
  });

  it("relays a socket's message to the rest of its room, and a POST to all of it", async () => {
    const [ada, bo, cy] = [roomcast({ name: "ada" }), socketIo({ name: "bo" }), roomcast({ name: "cy" })];
    await Promise.all([connected(ada), connected(bo), connected(cy)]);
    await ada.timeout(2000).emitWithAck("join", "garden");
    await bo.timeout(2000).emitWithAck("join", "garden");
    await cy.timeout(2000).emitWithAck("join", "kitchen");
    const heard: [string, Message][] = [];
    ada.on("message", (message) => heard.push(["ada", message]));
    bo.on("message", (message) => heard.push(["bo", message]));
    cy.on("message", (message) => heard.push(["cy", message]));

    bo.emit("message", "garden", "roses are out");
    await expect.poll(() => heard.length, { timeout: 2000 }).toBe(1);
    expect(heard[0]).toEqual(["ada", { room: "garden", from: "bo", text: "roses are out" }]);

    expect(await postMessage("garden", { text: "watering at six" })).toEqual({ status: 202, body: { room: "garden", recipients: 2 } });
    await expect.poll(() => heard.length, { timeout: 2000 }).toBe(3);
    expect(heard.slice(1).sort(([a], [b]) => a.localeCompare(b))).toEqual([
      ["ada", { room: "garden", from: "http", text: "watering at six" }],
      ["bo", { room: "garden", from: "http", text: "watering at six" }],
    ]);
    // a round trip on cy's connection after both broadcasts: a stray copy would be there by now
    await cy.timeout(2000).emitWithAck("join", "kitchen");
    expect(heard.map(([who]) => who)).not.toContain("cy");
  });

  it("answers a bad POST body with 400 and sends nothing", async () => {
    const ada = roomcast({ name: "ada" });
    await connected(ada);
    await ada.timeout(2000).emitWithAck("join", "garden");
    const heard: Message[] = [];
    ada.on("message", (message) => heard.push(message));
    for (const body of ["not json", { text: "" }, { text: 7 }, { text: "x".repeat(1001) }]) {
      const res = await postMessage("garden", body);
      expect(res.status, JSON.stringify(body)).toBe(400);
    }
    await ada.timeout(2000).emitWithAck("join", "garden");
    expect(heard).toEqual([]);
  });
});
