import { io, type Socket } from "socket.io-client";
import { afterEach, describe, expect, it } from "vitest";
import { nextEvent, record } from "./support/next-event.js";
import { type ChatOptions, type RunningChat, SERVERS, startChat } from "./support/servers.js";

/** The chat's features, driven by socket.io-client from Node over WebSocket only. */
describe.each(SERVERS)("chat from Node over WebSocket, on %s", (server) => {
  let chat: RunningChat | undefined;
  const sockets: Socket[] = [];

  afterEach(async () => {
    for (const socket of sockets.splice(0)) socket.disconnect();
    await chat?.close();
    chat = undefined;
  });

  async function open(options: ChatOptions = {}): Promise<string> {
    chat = await startChat(server, options);
    return chat.url;
  }

  function connect(url: string, nickname?: string): Socket {
    const socket = io(url, {
      transports: ["websocket"],
      auth: nickname === undefined ? {} : { nickname },
      forceNew: true,
      reconnection: false,
    });
    sockets.push(socket);
    return socket;
  }

  async function member(url: string, nickname: string, ...rooms: string[]): Promise<Socket> {
    const socket = connect(url, nickname);
    await nextEvent(socket, "connect");
    for (const room of rooms) expect(await socket.timeout(5000).emitWithAck("join", room)).toMatchObject({ ok: true });
    return socket;
  }

  it("refuses a socket without a nickname and says why in err.data", async () => {
    const url = await open();
    const [err] = await nextEvent<[Error & { data?: unknown }]>(connect(url), "connect_error");
    expect(err.message).toBe("nickname required");
    expect(err.data).toEqual({ field: "nickname", rule: expect.any(String) });

    const alice = connect(url, "alice");
    await nextEvent(alice, "connect");
    expect(alice.io.engine.transport.name).toBe("websocket");
  });

  it("acks a join with the members and tells the others in the room", async () => {
    const url = await open();
    const alice = await member(url, "alice", "lobby");
    const aliceSeesBob = nextEvent(alice, "user joined");
    const bob = await member(url, "bob");

    expect(await bob.timeout(5000).emitWithAck("join", "lobby")).toEqual({ ok: true, room: "lobby", members: ["alice", "bob"] });
    expect(await aliceSeesBob).toEqual([{ room: "lobby", nickname: "bob" }]);
    expect(await bob.timeout(5000).emitWithAck("join", "no spaces")).toEqual({ ok: false, error: "invalid room name" });
  });

  it("delivers a message to the rest of the room, never back to its sender or to other rooms", async () => {
    const url = await open();
    const alice = await member(url, "alice", "lobby");
    const bob = await member(url, "bob", "lobby");
    const carol = await member(url, "carol", "garden");
    const aliceGot = record(alice, "message");
    const carolGot = record(carol, "message");

    const bobHears = nextEvent(bob, "message");
    expect(await alice.timeout(5000).emitWithAck("message", "lobby", "hello")).toMatchObject({ ok: true, id: expect.any(String) });
    expect(await bobHears).toEqual([{ id: expect.any(String), room: "lobby", from: "alice", text: "hello", at: expect.any(Number) }]);

    // The server sends the room its copy before the ack, so an echo would already be here; carol's
    // own round trip comes after the message on her connection for the same reason.
    expect(await carol.timeout(5000).emitWithAck("join", "garden")).toMatchObject({ ok: true });
    expect(aliceGot).toEqual([]);
    expect(carolGot).toEqual([]);
    expect(await carol.timeout(5000).emitWithAck("message", "lobby", "let me in")).toEqual({ ok: false, error: "join the room first" });
  });

  it("passes typing hints (volatile) to the rest of the room", async () => {
    const url = await open();
    const alice = await member(url, "alice", "lobby");
    const bob = await member(url, "bob", "lobby");
    const bobSees = nextEvent(bob, "typing");
    alice.emit("typing", "lobby");
    expect(await bobSees).toEqual([{ room: "lobby", nickname: "alice" }]);
  });

  it("polls the room, asker included, and tells everyone the result once all have answered", async () => {
    const url = await open();
    const alice = await member(url, "alice", "lobby");
    const bob = await member(url, "bob", "lobby");
    const carol = await member(url, "carol", "garden");
    alice.on("poll", (_poll, answer) => answer("yes"));
    bob.on("poll", (_poll, answer) => answer("no"));
    const carolAsked = record(carol, "poll");

    const bobResult = nextEvent(bob, "poll closed");
    const aliceResult = nextEvent(alice, "poll closed");
    const asked = nextEvent(bob, "poll");
    expect(await alice.timeout(5000).emitWithAck("poll", "lobby", "pizza?")).toMatchObject({ ok: true });
    expect((await asked)[0]).toEqual({ id: expect.any(String), room: "lobby", question: "pizza?", from: "alice", choices: ["yes", "no"] });

    const expected = { id: expect.any(String), room: "lobby", question: "pizza?", votes: { yes: 1, no: 1 }, everyoneAnswered: true };
    expect(await bobResult).toEqual([expected]);
    expect(await aliceResult).toEqual([expected]);
    expect(carolAsked).toEqual([]);
  });

  it("closes a poll at its timeout with the answers that came in", async () => {
    const url = await open({ pollTimeoutMs: 300 });
    const alice = await member(url, "alice", "lobby");
    const bob = await member(url, "bob", "lobby");
    alice.on("poll", (_poll, answer) => answer("yes"));
    bob.on("poll", () => {}); // bob never answers

    const result = nextEvent(alice, "poll closed");
    await alice.timeout(5000).emitWithAck("poll", "lobby", "lunch?");
    expect(await result).toEqual([{ id: expect.any(String), room: "lobby", question: "lunch?", votes: { yes: 1, no: 0 }, everyoneAnswered: false }]);
  });

  it("acks a leave, tells the room, and stops delivering the room to whoever left", async () => {
    const url = await open();
    const alice = await member(url, "alice", "lobby");
    const bob = await member(url, "bob", "lobby");
    const bobGot = record(bob, "message");

    const aliceSees = nextEvent(alice, "user left");
    expect(await bob.timeout(5000).emitWithAck("leave", "lobby")).toEqual({ ok: true, room: "lobby" });
    expect(await aliceSees).toEqual([{ room: "lobby", nickname: "bob", reason: "left" }]);

    await alice.timeout(5000).emitWithAck("message", "lobby", "anyone?");
    expect(await bob.timeout(5000).emitWithAck("leave", "lobby")).toEqual({ ok: false, error: "not in that room" });
    expect(bobGot).toEqual([]);
  });

  it("tells each of a socket's rooms when it disconnects", async () => {
    const url = await open();
    const alice = await member(url, "alice", "lobby", "garden");
    const bob = await member(url, "bob", "lobby", "garden");
    const left = record(alice, "user left");

    const first = nextEvent(alice, "user left");
    bob.disconnect();
    await first;
    await alice.timeout(5000).emitWithAck("join", "lobby"); // a round trip for the second notice
    const sorted = [...left].sort((a: any, b: any) => a.room.localeCompare(b.room));
    expect(sorted).toEqual([
      { room: "garden", nickname: "bob", reason: "disconnected" },
      { room: "lobby", nickname: "bob", reason: "disconnected" },
    ]);
  });
});
