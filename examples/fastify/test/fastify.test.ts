import { io as roomcastClient, type Socket as RoomcastSocket } from "@roomcast/client";
import { io as socketIoClient, type Socket as SocketIoSocket } from "socket.io-client";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { start } from "../src/app.js";
import type { ClientToServer, ServerToClient } from "../src/events.js";
import { connected, nextEvent } from "./support/events.js";

type Client = RoomcastSocket<ServerToClient, ClientToServer> | SocketIoSocket<ServerToClient, ClientToServer>;

describe("Fastify + roomcast on Fastify's server", () => {
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

  async function roomcast(): Promise<RoomcastSocket<ServerToClient, ClientToServer>> {
    const socket = roomcastClient<ServerToClient, ClientToServer>(app!.url, { forceNew: true, reconnection: false });
    opened.push(socket);
    await connected(socket);
    return socket;
  }

  /** Default transports: long-polling through Fastify's server first, then the upgrade. */
  async function socketIo(): Promise<SocketIoSocket<ServerToClient, ClientToServer>> {
    const socket: SocketIoSocket<ServerToClient, ClientToServer> = socketIoClient(app!.url, { forceNew: true, reconnection: false });
    opened.push(socket);
    await connected(socket);
    return socket;
  }

  async function join(socket: Client, room: string): Promise<number> {
    return socket.timeout(2000).emitWithAck("join", room);
  }

  async function post(path: string, body: unknown): Promise<{ status: number; body: any }> {
    const res = await fetch(`${app!.url}${path}`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(5000),
    });
    return { status: res.status, body: await res.json() };
  }

  async function members(room: string): Promise<unknown> {
    const res = await fetch(`${app!.url}/rooms/${room}`, { signal: AbortSignal.timeout(5000) });
    return res.json();
  }

  it("POST /announce reaches the room's sockets of both kinds, and no one else", async () => {
    const [a, b, outsider] = [await roomcast(), await socketIo(), await roomcast()];
    expect(await join(a, "news")).toBe(1);
    expect(await join(b, "news")).toBe(2);
    expect(await join(outsider, "sports")).toBe(1);
    const heard: unknown[] = [];
    a.on("announcement", (message) => heard.push(["a", message]));
    b.on("announcement", (message) => heard.push(["b", message]));
    outsider.on("announcement", (message) => heard.push(["outsider", message]));

    expect(await post("/announce", { room: "news", text: "deploy at noon" })).toEqual({ status: 202, body: { room: "news", recipients: 2 } });
    await expect.poll(() => heard.length, { timeout: 2000 }).toBe(2);
    // a round trip on the outsider's connection after the broadcast: a stray copy would be there by now
    await join(outsider, "sports");
    expect(heard).toEqual(
      expect.arrayContaining([
        ["a", { room: "news", text: "deploy at noon" }],
        ["b", { room: "news", text: "deploy at noon" }],
      ]),
    );
    expect(heard).toHaveLength(2);
  });

  it("GET /rooms/:room follows the sockets' join and leave events", async () => {
    const [a, b] = [await roomcast(), await socketIo()];
    expect(await members("lobby")).toEqual({ room: "lobby", members: 0 });
    await join(a, "lobby");
    await join(b, "lobby");
    expect(await members("lobby")).toEqual({ room: "lobby", members: 2 });
    expect(await a.timeout(2000).emitWithAck("leave", "lobby")).toBe(1);
    expect(await members("lobby")).toEqual({ room: "lobby", members: 1 });
    b.disconnect();
    await expect.poll(() => members("lobby"), { timeout: 2000 }).toEqual({ room: "lobby", members: 0 });
  });

  it("POST /poll answers with every socket's ack reply", async () => {
    const [a, b] = [await roomcast(), await socketIo()];
    await join(a, "jury");
    await join(b, "jury");
    a.on("poll", (question, ack) => ack(`roomcast says yes to ${question}`));
    b.on("poll", (question, ack) => ack(`socket.io says no to ${question}`));

    const { status, body } = await post("/poll", { room: "jury", question: "pizza?" });
    expect(status).toBe(200);
    expect(body.complete).toBe(true);
    expect([...body.answers].sort()).toEqual(["roomcast says yes to pizza?", "socket.io says no to pizza?"]);
  });

  it("POST /poll returns the answers that came when a socket stays silent past the timeout", async () => {
    const [a, silent] = [await roomcast(), await socketIo()];
    await join(a, "jury");
    await join(silent, "jury");
    a.on("poll", (_question, ack) => ack("here"));
    const asked = nextEvent(silent, "poll");

    expect(await post("/poll", { room: "jury", question: "anyone?" })).toEqual({ status: 200, body: { question: "anyone?", answers: ["here"], complete: false } });
    expect((await asked)[0]).toBe("anyone?");
  });

  it("refuses an invalid body with Fastify's 400 before anything is broadcast", async () => {
    const socket = await roomcast();
    await join(socket, "news");
    const heard: unknown[] = [];
    socket.on("announcement", (message) => heard.push(message));

    for (const body of [{ room: "news" }, { room: "", text: "x" }, { room: "news", text: "x".repeat(1001) }, []]) {
      const res = await post("/announce", body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body.code).toBe("FST_ERR_VALIDATION");
    }
    await join(socket, "news");
    expect(heard).toEqual([]);
  });

  it("close() ends the sockets, then Fastify and its port", async () => {
    const [a, b] = [await roomcast(), await socketIo()];
    const url = app!.url;
    const gone = Promise.all([nextEvent(a, "disconnect"), nextEvent(b, "disconnect")]);
    await app!.close();
    app = undefined;
    await gone;
    await expect(fetch(`${url}/rooms/x`, { signal: AbortSignal.timeout(2000) })).rejects.toThrow();
  });
});
