import { ConnectedSocket, MessageBody, SubscribeMessage, WebSocketGateway, WebSocketServer } from "@nestjs/websockets";
import { afterEach, describe, expect, it } from "vitest";
import { ClientPool, roomcastClient, socketIoClient, type TestClient } from "./support/clients.js";
import { nextEvent } from "./support/next-event.js";
import { SETUPS, roomcastAdapter, startApp, type RunningApp } from "./support/nest-app.js";

/** What the gateway uses of a server-side socket; roomcast's and Socket.IO's both have it. */
interface RoomSocket {
  id: string;
  join(room: string): Promise<void> | void;
  to(room: string): { emit(event: string, ...args: unknown[]): unknown };
}

@WebSocketGateway()
class RoomGateway {
  @WebSocketServer()
  server!: { to(room: string): { emit(event: string, ...args: unknown[]): unknown } };

  @SubscribeMessage("join")
  async join(@ConnectedSocket() socket: RoomSocket, @MessageBody() room: string): Promise<unknown> {
    await socket.join(room);
    return { joined: room };
  }

  @SubscribeMessage("say")
  say(@ConnectedSocket() socket: RoomSocket, @MessageBody() body: { room: string; text: string }): string {
    socket.to(body.room).emit("said", { from: socket.id, text: body.text });
    return "sent";
  }

  @SubscribeMessage("announce")
  announce(@MessageBody() body: { room: string; text: string }): string {
    this.server.to(body.room).emit("announced", body.text);
    return "announced";
  }
}

/** Records every "said" and "announced" a client gets. */
function record(client: TestClient): unknown[][] {
  const seen: unknown[][] = [];
  client.on("said", (payload: unknown) => seen.push(["said", payload]));
  client.on("announced", (payload: unknown) => seen.push(["announced", payload]));
  return seen;
}

describe.each(SETUPS)("rooms: $name", ({ adapter, client }) => {
  let running: RunningApp | undefined;
  const clients = new ClientPool(client);

  afterEach(async () => {
    clients.closeAll();
    await running?.close();
    running = undefined;
  });

  it("joins a room in a handler and broadcasts to it without the sender", async () => {
    running = await startApp([RoomGateway], adapter);
    const [alice, bob, carol] = await Promise.all([1, 2, 3].map(() => clients.connect(running!.port)));
    const [aliceSeen, carolSeen] = [record(alice), record(carol)];
    expect(await alice.timeout(5000).emitWithAck("join", "lobby")).toEqual({ joined: "lobby" });
    expect(await bob.timeout(5000).emitWithAck("join", "lobby")).toEqual({ joined: "lobby" });

    const bobHears = nextEvent(bob, "said");
    expect(await alice.timeout(5000).emitWithAck("say", { room: "lobby", text: "hello" })).toBe("sent");
    expect(await bobHears).toEqual([{ from: alice.id, text: "hello" }]);

    // A packet for alice or carol would have been queued before these replies.
    await alice.timeout(5000).emitWithAck("join", "lobby");
    await carol.timeout(5000).emitWithAck("join", "elsewhere");
    expect(aliceSeen).toEqual([]);
    expect(carolSeen).toEqual([]);
  });

  it("broadcasts to a room from @WebSocketServer(), the sender included", async () => {
    running = await startApp([RoomGateway], adapter);
    const [alice, bob] = await Promise.all([1, 2].map(() => clients.connect(running!.port)));
    await alice.timeout(5000).emitWithAck("join", "news");
    const aliceHears = nextEvent(alice, "announced");
    expect(await bob.timeout(5000).emitWithAck("announce", { room: "news", text: "extra" })).toBe("announced");
    expect(await aliceHears).toEqual(["extra"]);
  });
});

describe("rooms shared by @roomcast/client and socket.io-client", () => {
  let running: RunningApp | undefined;
  const roomcastClients = new ClientPool(roomcastClient);
  const socketIoClients = new ClientPool(socketIoClient);

  afterEach(async () => {
    roomcastClients.closeAll();
    socketIoClients.closeAll();
    await running?.close();
    running = undefined;
  });

  it("delivers a room broadcast from one kind of client to the other", async () => {
    running = await startApp([RoomGateway], roomcastAdapter({ socketio: true }));
    const native = await roomcastClients.connect(running.port);
    const legacy = await socketIoClients.connect(running.port);
    await native.timeout(5000).emitWithAck("join", "mixed");
    await legacy.timeout(5000).emitWithAck("join", "mixed");

    const legacyHears = nextEvent(legacy, "said");
    await native.timeout(5000).emitWithAck("say", { room: "mixed", text: "from roomcast" });
    expect(await legacyHears).toEqual([{ from: native.id, text: "from roomcast" }]);

    const nativeHears = nextEvent(native, "said");
    await legacy.timeout(5000).emitWithAck("say", { room: "mixed", text: "from socket.io" });
    expect(await nativeHears).toEqual([{ from: legacy.id, text: "from socket.io" }]);
  });
});
