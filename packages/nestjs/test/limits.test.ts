import { ConnectedSocket, SubscribeMessage, WebSocketGateway, type WsResponse } from "@nestjs/websockets";
import type { Socket } from "@roomcast/core";
import { NEVER, finalize, interval, map, type Observable } from "rxjs";
import { afterEach, describe, expect, it } from "vitest";
import { RoomcastAdapter, TOO_MANY_PENDING_REPLIES } from "../src/index.js";
import { ClientPool } from "./support/clients.js";
import { nextEvent, waitFor } from "./support/next-event.js";
import { ROOMCAST_SETUPS, startApp, type RunningApp } from "./support/nest-app.js";

/** Counts the handler results that were torn down. */
const teardowns = { count: 0 };

/** Set by each test: the adapter the app runs on, so a handler can ask it to turn a client away. */
let currentAdapter: RoomcastAdapter | undefined;

@WebSocketGateway()
class SlowGateway {
  @SubscribeMessage("hold")
  hold(): Observable<never> {
    return NEVER.pipe(finalize(() => teardowns.count++));
  }

  @SubscribeMessage("ticks")
  ticks(): Observable<WsResponse<number>> {
    return interval(10).pipe(
      map((n) => ({ event: "tick", data: n })),
      finalize(() => teardowns.count++),
    );
  }

  @SubscribeMessage("ping")
  ping(): string {
    return "pong";
  }

  @SubscribeMessage("turn me away")
  turnAway(@ConnectedSocket() socket: Socket): void {
    currentAdapter!.closeClient(socket);
  }
}

describe.each(ROOMCAST_SETUPS)("limits and cleanup: $name", ({ client }) => {
  let running: RunningApp | undefined;
  const clients = new ClientPool(client);

  afterEach(async () => {
    clients.closeAll();
    await running?.close();
    running = undefined;
    currentAdapter = undefined;
    teardowns.count = 0;
  });

  async function start(maxPendingReplies?: number): Promise<RoomcastAdapter> {
    running = await startApp([SlowGateway], (app) => (currentAdapter = new RoomcastAdapter(app, { socketio: true, maxPendingReplies })));
    return currentAdapter!;
  }

  it("refuses events beyond maxPendingReplies with an \"exception\", counts them and warns once", async () => {
    const adapter = await start(2);
    const socket = await clients.connect(running!.port);
    socket.emit("hold");
    socket.emit("hold");
    await waitFor(() => adapter.metrics.pendingReplies === 2, "two pending replies");

    const exception = nextEvent(socket, "exception");
    socket.emit("ping");
    expect(await exception).toEqual([{ status: "error", message: "Too many pending replies", code: TOO_MANY_PENDING_REPLIES, cause: { pattern: "ping" } }]);
    socket.emit("hold");
    await nextEvent(socket, "exception");
    expect(adapter.metrics.refusedMessages).toBe(2);
    expect(running!.logs.messages("warn").filter((message) => message.includes("maxPendingReplies"))).toHaveLength(1);
  });

  it("unsubscribes a socket's running handler results when it disconnects", async () => {
    const adapter = await start();
    const socket = await clients.connect(running!.port);
    socket.emit("hold");
    socket.emit("ticks");
    await nextEvent(socket, "tick");
    expect(adapter.metrics.pendingReplies).toBe(2);

    socket.disconnect();
    await waitFor(() => teardowns.count === 2, "both results torn down");
    expect(adapter.metrics.pendingReplies).toBe(0);
  });

  it("frees a socket's results on app.close() too", async () => {
    const adapter = await start();
    const socket = await clients.connect(running!.port);
    socket.emit("ticks");
    await nextEvent(socket, "tick");
    await running!.close();
    expect(teardowns.count).toBe(1);
    expect(adapter.metrics.pendingReplies).toBe(0);
  });

  it("closeClient() closes the connection so that the client comes back", async () => {
    await start();
    const socket = await clients.connect(running!.port, "/", { reconnection: true, reconnectionDelay: 50 });
    const dropped = nextEvent<[string]>(socket, "disconnect");
    const back = new Promise<void>((resolve) => dropped.then(() => socket.once("connect", () => resolve())));
    socket.emit("turn me away");
    expect((await dropped)[0]).toBe("transport close");
    await back;
    expect(await socket.timeout(5000).emitWithAck("ping")).toBe("pong");
  });
});
