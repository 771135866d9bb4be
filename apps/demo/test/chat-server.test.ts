import { createServer, type Server as HttpServer } from "node:http";
import type { AddressInfo } from "node:net";
import { io as connect, type Socket as ClientSocket } from "@roomcast/client";
import { Server } from "@roomcast/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ClientToServerEvents, RoomMessage, ServerToClientEvents } from "../src/shared/chat-events.js";
import { attachChat } from "../src/server/chat-server.js";
import type { ChatServer } from "../src/server/chat-types.js";

type ChatClient = ClientSocket<ServerToClientEvents, ClientToServerEvents>;

/** The chat's server handlers over real connections, without a browser: the rules a page cannot bypass. */
describe("chat server", () => {
  let http: HttpServer;
  let io: ChatServer;
  let detach: () => void;
  let url = "";
  const clients: ChatClient[] = [];

  beforeAll(async () => {
    http = createServer();
    io = new Server(http);
    detach = attachChat(io, { nodeId: "test", presenceRefreshMs: 0, log: () => {} });
    await new Promise<void>((resolve) => http.listen(0, "127.0.0.1", resolve));
    url = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    for (const client of clients) client.disconnect();
    detach();
    await io.close();
  });

  function client(nickname: string): ChatClient {
    const socket: ChatClient = connect(url, { forceNew: true, reconnection: false, auth: { nickname, color: "#3366ff" } });
    clients.push(socket);
    return socket;
  }

  async function online(nickname: string): Promise<ChatClient> {
    const socket = client(nickname);
    await new Promise<void>((resolve, reject) => {
      socket.once("connect", resolve);
      socket.once("connect_error", reject);
    });
    return socket;
  }

  const join = (socket: ChatClient, room: string) => socket.timeout(5000).emitWithAck("room:join", room);

  it("refuses a reserved nickname with data the page can show", async () => {
    const socket = client("Admin");
    const err = await new Promise<{ message: string; data?: unknown }>((resolve) => socket.once("connect_error", resolve));
    expect(err.data).toEqual({ code: "INVALID_CREDENTIALS", field: "nickname", reason: '"Admin" is reserved' });
  });

  it("sends a room message to the other members only, and acks the sender", async () => {
    const [ann, ben] = [await online("Ann"), await online("Ben")];
    await join(ann, "kitchen");
    const joined = await join(ben, "kitchen");
    expect(joined.ok && joined.users.map((u) => u.nickname)).toEqual(["Ann", "Ben"]);

    const echoes: RoomMessage[] = [];
    ann.on("room:message", (m) => echoes.push(m));
    const received = new Promise<RoomMessage>((resolve) => ben.once("room:message", resolve));
    const reply = await ann.timeout(5000).emitWithAck("room:message", "kitchen", "  tea?  ");
    const message = await received;
    expect(reply).toMatchObject({ ok: true, id: message.id });
    expect(message).toMatchObject({ room: "kitchen", text: "tea?", from: { nickname: "Ann", id: ann.id } });
    expect(echoes).toEqual([]);
  });

  it("refuses messages to rooms the sender is not in", async () => {
    const cid = await online("Cid");
    expect(await cid.timeout(5000).emitWithAck("room:message", "kitchen", "hi")).toEqual({ ok: false, error: "join the room first" });
  });

  it("delivers a direct message to one socket, and refuses a room as the target", async () => {
    const [dee, eve, fay] = [await online("Dee"), await online("Eve"), await online("Fay")];
    await Promise.all([join(dee, "hall"), join(eve, "hall"), join(fay, "hall")]);
    const seenByFay: unknown[] = [];
    fay.on("dm:message", (m) => seenByFay.push(m));

    expect(await dee.timeout(5000).emitWithAck("dm:send", "room:hall", "to all?")).toEqual({ ok: false, error: "unknown user" });
    const received = new Promise((resolve) => eve.once("dm:message", resolve));
    const reply = await dee.timeout(5000).emitWithAck("dm:send", eve.id!, "just you");
    expect(reply).toMatchObject({ ok: true, message: { text: "just you", to: { nickname: "Eve" } } });
    expect(await received).toMatchObject({ text: "just you", from: { nickname: "Dee" } });
    // Eve got hers; Fay, on the same node and in the same room, got nothing.
    expect(seenByFay).toEqual([]);
    expect(await dee.timeout(5000).emitWithAck("dm:send", "no-such-socket", "hello?")).toEqual({ ok: false, error: "that user is offline" });
  });

  it("announces the member list when someone leaves", async () => {
    const [gus, hal] = [await online("Gus"), await online("Hal")];
    await join(gus, "porch");
    await join(hal, "porch");
    const update = new Promise((resolve) =>
      gus.on("presence", (p) => {
        if (p.room === "porch" && p.users.length === 1) resolve(p.users.map((u) => u.nickname));
      }),
    );
    hal.disconnect();
    expect(await update).toEqual(["Gus"]);
  });
});
