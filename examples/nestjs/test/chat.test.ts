import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { start, type RunningChat } from "../src/app.js";
import { CLIENTS, nextEvent, type ChatClient, type ClientKind } from "./support/clients.js";

describe.each(CLIENTS)("the NestJS chat with $name", (kind: ClientKind) => {
  let chat: RunningChat;
  const opened: ChatClient[] = [];

  beforeEach(async () => {
    chat = await start({ port: 0, logger: false });
  });

  afterEach(async () => {
    for (const client of opened.splice(0)) client.disconnect();
    await chat.close();
  });

  function open(auth: Record<string, unknown>): ChatClient {
    const client = kind.open(chat.url, auth);
    opened.push(client);
    return client;
  }

  async function member(nickname: string, ...rooms: string[]): Promise<ChatClient> {
    const client = open({ nickname });
    await nextEvent(client, "connect");
    for (const room of rooms) await client.timeout(5000).emitWithAck("join", room);
    return client;
  }

  it("refuses a socket without a nickname, saying why in connect_error", async () => {
    const [err] = await nextEvent<[Error & { data?: unknown }]>(open({}), "connect_error");
    expect(err.message).toBe("nickname required");
    expect(err.data).toEqual({ rule: expect.any(String) });
  });

  it("acks a join with the room's members and tells the others", async () => {
    const alice = await member("alice", "lobby");
    const aliceSeesBob = nextEvent(alice, "user joined");
    const bob = await member("bob");
    expect(await bob.timeout(5000).emitWithAck("join", "lobby")).toEqual({ room: "lobby", members: ["alice", "bob"] });
    expect(await aliceSeesBob).toEqual([{ room: "lobby", nickname: "bob" }]);
  });

  it("sends a message to the others in the room, not back to its sender, and acks it", async () => {
    const alice = await member("alice", "lobby");
    const bob = await member("bob", "lobby");
    const carol = await member("carol", "elsewhere");
    const seenByAliceOrCarol: unknown[] = [];
    alice.on("message", (m: unknown) => seenByAliceOrCarol.push(m));
    carol.on("message", (m: unknown) => seenByAliceOrCarol.push(m));

    const bobHears = nextEvent(bob, "message");
    expect(await alice.timeout(5000).emitWithAck("message", { room: "lobby", text: "  hello  " })).toEqual({ delivered: true });
    expect(await bobHears).toEqual([{ room: "lobby", from: "alice", text: "hello" }]);
    // a message for alice or carol would have been sent before these acks
    await alice.timeout(5000).emitWithAck("join", "lobby");
    await carol.timeout(5000).emitWithAck("join", "elsewhere");
    expect(seenByAliceOrCarol).toEqual([]);
  });

  it("answers a bad request with Nest's \"exception\" event", async () => {
    const alice = await member("alice");
    const refused = nextEvent(alice, "exception");
    alice.emit("join", "No Spaces Allowed");
    expect(await refused).toEqual([{ status: "error", message: "invalid room name", cause: { pattern: "join", data: "No Spaces Allowed" } }]);

    const notMember = nextEvent(alice, "exception");
    alice.emit("message", { room: "lobby", text: "hi" });
    expect((await notMember)[0]).toMatchObject({ status: "error", message: "join the room first" });
  });

  it("tells the room when someone leaves", async () => {
    const alice = await member("alice", "lobby");
    const bob = await member("bob", "lobby");
    const left = nextEvent(alice, "user left");
    bob.disconnect();
    expect(await left).toEqual([{ room: "lobby", nickname: "bob" }]);
  });
});

describe("the NestJS chat with both clients in one room", () => {
  it("carries messages from a roomcast client to a socket.io-client and back", async () => {
    const chat = await start({ port: 0, logger: false });
    const [roomcastKind, socketIoKind] = CLIENTS;
    const ada = roomcastKind.open(chat.url, { nickname: "ada" });
    const bob = socketIoKind.open(chat.url, { nickname: "bob" });
    try {
      await Promise.all([nextEvent(ada, "connect"), nextEvent(bob, "connect")]);
      await ada.timeout(5000).emitWithAck("join", "mixed");
      expect(await bob.timeout(5000).emitWithAck("join", "mixed")).toEqual({ room: "mixed", members: ["ada", "bob"] });

      const bobHears = nextEvent(bob, "message");
      await ada.timeout(5000).emitWithAck("message", { room: "mixed", text: "from roomcast" });
      expect(await bobHears).toEqual([{ room: "mixed", from: "ada", text: "from roomcast" }]);

      const adaHears = nextEvent(ada, "message");
      await bob.timeout(5000).emitWithAck("message", { room: "mixed", text: "from socket.io" });
      expect(await adaHears).toEqual([{ room: "mixed", from: "bob", text: "from socket.io" }]);
    } finally {
      ada.disconnect();
      bob.disconnect();
      await chat.close();
    }
  });
});
