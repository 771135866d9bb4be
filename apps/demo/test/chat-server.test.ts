import { randomBytes } from "node:crypto";
import { createServer, type Server as HttpServer } from "node:http";
import type { AddressInfo } from "node:net";
import { io as connect, type Socket as ClientSocket } from "@roomcast/client";
import { Server } from "@roomcast/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ClientToServerEvents, DirectMessage, PresenceUpdate, RoomMessage, ServerToClientEvents } from "../src/shared/chat-events.js";
import { attachChat } from "../src/server/chat-server.js";
import type { ChatServer } from "../src/server/chat-types.js";
import { userIdFromKey } from "../src/server/identity.js";
import { MemoryChatState } from "../src/server/memory-chat-state.js";
import { Presence } from "../src/server/presence.js";

type ChatClient = ClientSocket<ServerToClientEvents, ClientToServerEvents>;

const newKey = () => randomBytes(18).toString("base64url");

/** The chat's server handlers over real connections, without a browser: the rules a page cannot bypass. */
describe("chat server", () => {
  let http: HttpServer;
  let io: ChatServer;
  let detach: () => void;
  let url = "";
  const clients: ChatClient[] = [];

  beforeAll(async () => {
    http = createServer();
    io = new Server(http, { connectionStateRecovery: { maxDisconnectionDuration: 120_000 } });
    detach = attachChat(io, { nodeId: "test", presenceRefreshMs: 0, log: () => {} });
    await new Promise<void>((resolve) => http.listen(0, "127.0.0.1", resolve));
    url = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    for (const client of clients) client.disconnect();
    detach();
    await io.close();
  });

  function client(nickname: string, key = newKey(), reconnection = false): ChatClient {
    const socket: ChatClient = connect(url, {
      forceNew: true,
      reconnection,
      reconnectionDelay: 50,
      reconnectionDelayMax: 100,
      ackTimeout: 5000,
      retries: 3,
      auth: { nickname, color: "#3366ff", key },
    });
    clients.push(socket);
    return socket;
  }

  async function online(nickname: string, key?: string, reconnection?: boolean): Promise<ChatClient> {
    const socket = client(nickname, key, reconnection);
    await new Promise<void>((resolve, reject) => {
      socket.once("connect", resolve);
      socket.once("connect_error", reject);
    });
    return socket;
  }

  const refusal = (socket: ChatClient) => new Promise<{ data?: unknown }>((resolve) => socket.once("connect_error", resolve));
  const join = (socket: ChatClient, room: string) => socket.emitWithAck("room:join", room);

  it("refuses a reserved nickname with data the page can show", async () => {
    expect((await refusal(client("Admin"))).data).toEqual({ code: "INVALID_CREDENTIALS", field: "nickname", reason: '"Admin" is reserved' });
  });

  it("refuses a nickname someone else holds, whatever its case, but lets its holder back in", async () => {
    const key = newKey();
    const first = await online("MobileUser", key);
    expect((await refusal(client("mobileuser"))).data).toEqual({
      code: "INVALID_CREDENTIALS",
      field: "nickname",
      reason: '"mobileuser" is already taken: choose another nickname',
    });
    // The same person (same key) on a second connection keeps the name.
    const second = await online("MobileUser", key);
    // A goodbye frees the name (once the server has handled it: asked again until then, boundedly).
    first.disconnect();
    second.disconnect();
    let taken = 0;
    for (;;) {
      try {
        await online("MOBILEUSER");
        break;
      } catch (err) {
        expect((err as { data?: { reason?: string } }).data?.reason).toContain("already taken");
        if (++taken === 50) throw new Error("the name was never freed");
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    }
  });

  it("sends a room message to the other members only, keeps it, and shows it to whoever joins later", async () => {
    const [ann, ben] = [await online("Ann"), await online("Ben")];
    await join(ann, "kitchen");
    const joined = await join(ben, "kitchen");
    expect(joined.ok && joined.users.map((u) => [u.nickname, u.state])).toEqual([
      ["Ann", "online"],
      ["Ben", "online"],
    ]);

    const echoes: RoomMessage[] = [];
    ann.on("room:message", (m) => echoes.push(m));
    const received = new Promise<RoomMessage>((resolve) => ben.once("room:message", resolve));
    const reply = await ann.emitWithAck("room:message", "kitchen", "  tea?  ");
    const message = await received;
    expect(reply).toMatchObject({ ok: true, id: message.id, seq: message.seq });
    expect(message).toMatchObject({ room: "kitchen", text: "tea?", from: { nickname: "Ann" } });
    expect(echoes).toEqual([]);

    const cid = await online("Cid");
    const late = await join(cid, "kitchen");
    expect(late.ok && late.history.map((m) => [m.from.nickname, m.text])).toEqual([["Ann", "tea?"]]);
  });

  it("refuses messages to rooms the sender is not in", async () => {
    const dot = await online("Dot");
    expect(await dot.emitWithAck("room:message", "kitchen", "hi")).toEqual({ ok: false, error: "you are not in that room any more: join it again" });
  });

  it("delivers a direct message to one user, refuses a room as the target, and passes the receipt back", async () => {
    const eveKey = newKey();
    const [dee, eve, fay] = [await online("Dee"), await online("Eve", eveKey), await online("Fay")];
    const eveId = userIdFromKey(eveKey);
    const seenByFay: unknown[] = [];
    fay.on("dm:message", (m) => seenByFay.push(m));

    expect(await dee.emitWithAck("dm:send", "room:hall", "to all?")).toEqual({ ok: false, error: "unknown person" });
    const received = new Promise<DirectMessage>((resolve) => eve.once("dm:message", resolve));
    const reply = await dee.emitWithAck("dm:send", eveId, "just you");
    expect(reply).toMatchObject({ ok: true, recipient: "online", message: { text: "just you", to: { nickname: "Eve" } } });
    const message = await received;
    expect(message).toMatchObject({ text: "just you", from: { nickname: "Dee" } });
    const receipt = new Promise((resolve) => dee.once("dm:delivered", resolve));
    await eve.emitWithAck("dm:receipt", message.id, message.from.id);
    expect(await receipt).toMatchObject({ id: message.id, by: { nickname: "Eve" } });
    expect(seenByFay).toEqual([]);
    expect(await dee.emitWithAck("dm:send", "nobody-here", "hello?")).toEqual({ ok: false, error: "they have left the chat" });
  });

  it("keeps a direct message for someone who dropped, and replays it when they come back", async () => {
    const gilKey = newKey();
    const [gus, gil] = [await online("Gus"), await online("Gil", gilKey, true)];
    await join(gus, "porch");
    await join(gil, "porch");
    const away = new Promise<PresenceUpdate>((resolve) =>
      gus.on("presence", (p) => {
        if (p.room === "porch" && p.users.some((u) => u.nickname === "Gil" && u.state === "away")) resolve(p);
      }),
    );
    const received = new Promise<DirectMessage>((resolve) => gil.once("dm:message", resolve));
    // Gil's connection drops, and he stays away until the message is sent.
    gil.io.reconnection(false);
    gil.io.engine.close();
    await away;
    const reply = await gus.emitWithAck("dm:send", userIdFromKey(gilKey), "while you were out");
    expect(reply).toMatchObject({ ok: true, recipient: "away" });
    const back = new Promise<void>((resolve) => gil.once("connect", () => resolve()));
    gil.io.reconnection(true);
    gil.io.open();
    await back;
    expect((await received).text).toBe("while you were out");
    expect(gil.recovered).toBe(true);
  });

  it("sends a direct message again to someone back with a fresh session, until their page confirms it", async () => {
    const jonKey = newKey();
    const [kim, jon] = [await online("Kim"), await online("Jon", jonKey)];
    const receipts: unknown[] = [];
    kim.on("dm:delivered", (receipt) => receipts.push(receipt));
    // Jon drops for good: no session of his is left to replay anything to.
    jon.io.engine.close();
    const reply = await kim.emitWithAck("dm:send", userIdFromKey(jonKey), "did you get this?");
    expect(reply.ok).toBe(true);

    // Same person (same key), new connection: a fresh session, which gets the message kept for him.
    const again = client("Jon", jonKey);
    const kept = await new Promise<DirectMessage[]>((resolve) => again.once("dm:undelivered", resolve));
    expect(again.recovered).toBe(false);
    expect(kept.map((m) => [m.from.nickname, m.text])).toEqual([["Kim", "did you get this?"]]);
    expect(receipts).toEqual([]);
    const delivered = new Promise((resolve) => kim.once("dm:delivered", resolve));
    await again.emitWithAck("dm:receipt", kept[0].id, kept[0].from.id);
    expect(await delivered).toMatchObject({ id: kept[0].id, by: { nickname: "Jon" } });

    // Confirmed: a later connection gets nothing again, and a second receipt tells Kim nothing new.
    const later = client("Jon", jonKey);
    const sentAgain: unknown[] = [];
    later.on("dm:undelivered", (messages) => sentAgain.push(messages));
    await new Promise<void>((resolve) => later.once("connect", () => resolve()));
    await later.emitWithAck("dm:receipt", kept[0].id, kept[0].from.id);
    await later.emitWithAck("room:list");
    await kim.emitWithAck("room:list");
    expect(sentAgain).toEqual([]);
    expect(receipts).toHaveLength(1);
  });

  it("shows the people of a node that stopped writing as away after two periods and gone after three", async () => {
    const state = new MemoryChatState();
    const presence = new Presence(io, state, { refreshMs: 1000, log: () => {} });
    try {
      const now = Date.now();
      // Records as a node writes them (TTL three periods and a bit), last written this long ago.
      for (const [id, age] of [["fresh", 900], ["stale", 2600], ["dead", 3600]] as const) {
        await state.saveUser({ user: { id, nickname: id, color: "#3366ff" }, socketId: `s-${id}`, state: "online", seenAt: now - age }, 60_000);
        await state.addMember("yard", id);
      }
      expect((await presence.membersOf("yard")).map((m) => [m.nickname, m.state])).toEqual([
        ["fresh", "online"],
        ["stale", "away"],
      ]);
      expect(await state.members("yard")).not.toContain("dead");
      expect(await presence.stateOf("dead")).toBeUndefined();
      expect((await presence.stateOf("stale"))?.state).toBe("away");
    } finally {
      presence.close();
    }
  });

  it("lists someone who said goodbye as gone, not away", async () => {
    const [hal, ida] = [await online("Hal"), await online("Ida")];
    await join(hal, "attic");
    await join(ida, "attic");
    const update = new Promise((resolve) =>
      hal.on("presence", (p) => {
        if (p.room === "attic" && p.users.length === 1) resolve(p.users.map((u) => u.nickname));
      }),
    );
    ida.disconnect();
    expect(await update).toEqual(["Hal"]);
  });
});
