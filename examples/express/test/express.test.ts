import { io as roomcastClient, type Socket as RoomcastSocket } from "@roomcast/client";
import { io as socketIoClient, type Socket as SocketIoSocket } from "socket.io-client";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { start } from "../src/app.js";
import type { ClientToServer, ServerToClient } from "../src/events.js";
import { connected, nextEvent } from "./support/events.js";
import { login, logout } from "./support/http-session.js";

type RoomcastUser = RoomcastSocket<ServerToClient, ClientToServer>;
type SocketIoUser = SocketIoSocket<ServerToClient, ClientToServer>;

describe("Express + roomcast sharing one express-session", () => {
  let app: Awaited<ReturnType<typeof start>>;
  const opened: { disconnect(): unknown }[] = [];

  beforeEach(async () => {
    app = await start({ port: 0 });
  });

  afterEach(async () => {
    for (const socket of opened.splice(0)) socket.disconnect();
    await app.close();
  });

  /** @roomcast/client on Node: the cookie travels with the WebSocket upgrade in `extraHeaders`. */
  function roomcast(cookie?: string): RoomcastUser {
    const socket = roomcastClient<ServerToClient, ClientToServer>(app.url, { forceNew: true, reconnection: false, extraHeaders: cookie ? { cookie } : {} });
    opened.push(socket);
    return socket;
  }

  /** socket.io-client with its default transports: long-polling first, then the upgrade to WebSocket. */
  function socketIo(cookie?: string): SocketIoUser {
    const socket: SocketIoUser = socketIoClient(app.url, { forceNew: true, reconnection: false, extraHeaders: cookie ? { cookie } : {} });
    opened.push(socket);
    return socket;
  }

  async function loggedIn(username: string, password: string): Promise<string> {
    const { status, cookie } = await login(app.url, username, password);
    expect(status).toBe(200);
    expect(cookie).toMatch(/^connect\.sid=/);
    return cookie!;
  }

  it("refuses sockets without a logged-in session, with connect_error and the middleware's data", async () => {
    for (const socket of [roomcast(), socketIo()]) {
      const [err] = await nextEvent<[Error & { data?: unknown }]>(socket, "connect_error");
      expect(err.message).toBe("unauthorized");
      expect(err.data).toEqual({ reason: "log in first" });
      expect(socket.connected).toBe(false);
    }
  });

  it("refuses a wrong password at the login route, and sets no cookie", async () => {
    expect(await login(app.url, "alice", "rabbit hole")).toEqual({ status: 401, cookie: undefined });
    expect(await login(app.url, "mallory", "wonderland")).toEqual({ status: 401, cookie: undefined });
  });

  it("gives a @roomcast/client socket the session's user, answering its ack", async () => {
    const socket = roomcast(await loggedIn("alice", "wonderland"));
    await connected(socket);
    expect(await socket.timeout(2000).emitWithAck("whoami")).toEqual({ user: "alice", transport: "websocket" });
  });

  it("gives a socket.io-client the session's user over long-polling, and again after the upgrade to WebSocket", async () => {
    const socket = socketIo(await loggedIn("bob", "builder"));
    const upgraded = nextEvent(socket.io.engine, "upgrade");
    await connected(socket);
    await upgraded;
    expect(socket.io.engine.transport.name).toBe("websocket");
    expect(await socket.timeout(2000).emitWithAck("whoami")).toEqual({ user: "bob", transport: "websocket" });
  });

  it("broadcasts to a room across both kinds of client, leaving out the sender and non-members", async () => {
    const alice = roomcast(await loggedIn("alice", "wonderland"));
    const bobCookie = await loggedIn("bob", "builder");
    const bob = socketIo(bobCookie);
    const outsider = roomcast(bobCookie);
    await Promise.all([connected(alice), connected(bob), connected(outsider)]);

    expect(await alice.timeout(2000).emitWithAck("join", "general")).toBe(1);
    expect(await bob.timeout(2000).emitWithAck("join", "general")).toBe(2);
    const heard: unknown[] = [];
    alice.on("said", (message) => heard.push(["alice", message]));
    outsider.on("said", (message) => heard.push(["outsider", message]));
    bob.on("said", (message) => heard.push(["bob", message]));

    alice.emit("say", "general", "hello from roomcast");
    await expect.poll(() => heard, { timeout: 2000 }).toHaveLength(1);
    bob.emit("say", "general", "hello from socket.io");
    await expect.poll(() => heard, { timeout: 2000 }).toHaveLength(2);
    // an ack round trip after the broadcasts: anything still in flight would have arrived
    await Promise.all([alice, bob, outsider].map((socket) => socket.timeout(2000).emitWithAck("whoami")));
    expect(heard).toEqual([
      ["bob", { room: "general", from: "alice", text: "hello from roomcast" }],
      ["alice", { room: "general", from: "bob", text: "hello from socket.io" }],
    ]);
  });

  it("disconnects the user's sockets at logout, and refuses the old cookie afterwards", async () => {
    const cookie = await loggedIn("alice", "wonderland");
    const first = roomcast(cookie);
    const second = socketIo(cookie);
    await Promise.all([connected(first), connected(second)]);

    const gone = Promise.all([nextEvent(first, "disconnect"), nextEvent(second, "disconnect")]);
    expect(await logout(app.url, cookie)).toBe(204);
    expect((await gone).map(([reason]) => reason)).toEqual(["io server disconnect", "io server disconnect"]);

    const [err] = await nextEvent<[Error]>(roomcast(cookie), "connect_error");
    expect(err.message).toBe("unauthorized");
  });
});
