import { Ack, ConnectedSocket, MessageBody, SubscribeMessage, WebSocketGateway, type WsResponse } from "@nestjs/websockets";
import { from, interval, map, take, type Observable } from "rxjs";
import { afterEach, describe, expect, it } from "vitest";
import { ClientPool } from "./support/clients.js";
import { nextEvent } from "./support/next-event.js";
import { SETUPS, startApp, type RunningApp } from "./support/nest-app.js";

@WebSocketGateway()
class EchoGateway {
  @SubscribeMessage("sync")
  sync(@MessageBody() body: unknown): unknown {
    return { echoed: body };
  }

  @SubscribeMessage("promise")
  async promise(@MessageBody() body: unknown): Promise<unknown> {
    await new Promise((resolve) => setTimeout(resolve, 5));
    return { later: body };
  }

  @SubscribeMessage("observable")
  observable(@MessageBody() start: number): Observable<number> {
    return interval(5).pipe(
      take(3),
      map((n) => start + n),
    );
  }

  @SubscribeMessage("respond")
  respond(@MessageBody() body: unknown): WsResponse<unknown> {
    return { event: "responded", data: body };
  }

  @SubscribeMessage("ticks")
  ticks(): Observable<WsResponse<number>> {
    return from([1, 2, 3]).pipe(map((n) => ({ event: "tick", data: n })));
  }

  @SubscribeMessage("who")
  who(@ConnectedSocket() socket: { id: string; rooms: Set<string> }): unknown {
    return { id: socket.id, rooms: [...socket.rooms] };
  }

  @SubscribeMessage("manual")
  manual(@MessageBody() body: unknown, @Ack() ack: (reply: unknown) => void): string {
    ack({ manual: body });
    return "not the reply";
  }

  @SubscribeMessage("nothing")
  nothing(): undefined {
    return undefined;
  }
}

describe.each(SETUPS)("message handlers: $name", ({ adapter, client }) => {
  let running: RunningApp | undefined;
  const clients = new ClientPool(client);

  afterEach(async () => {
    clients.closeAll();
    await running?.close();
    running = undefined;
  });

  async function connect() {
    running = await startApp([EchoGateway], adapter);
    return clients.connect(running.port);
  }

  it("acks a value the handler returns", async () => {
    const socket = await connect();
    expect(await socket.timeout(5000).emitWithAck("sync", { text: "hi" })).toEqual({ echoed: { text: "hi" } });
  });

  it("acks what the handler's Promise resolves to", async () => {
    const socket = await connect();
    expect(await socket.timeout(5000).emitWithAck("promise", [1, 2])).toEqual({ later: [1, 2] });
  });

  it("acks an Observable's first value (an ack is answered once)", async () => {
    const socket = await connect();
    expect(await socket.timeout(5000).emitWithAck("observable", 10)).toBe(10);
  });

  it("hands several arguments to @MessageBody() as an array", async () => {
    const socket = await connect();
    expect(await socket.timeout(5000).emitWithAck("sync", "a", 2, { c: true })).toEqual({ echoed: ["a", 2, { c: true }] });
  });

  it("emits a WsResponse back to the client as its event, not as the ack", async () => {
    const socket = await connect();
    const responded = nextEvent(socket, "responded");
    socket.emit("respond", { n: 1 });
    expect(await responded).toEqual([{ n: 1 }]);
  });

  it("emits each WsResponse of an Observable, in order", async () => {
    const socket = await connect();
    const ticks: unknown[] = [];
    socket.on("tick", (n: unknown) => ticks.push(n));
    const third = new Promise<void>((resolve) => socket.on("tick", (n: unknown) => n === 3 && resolve()));
    socket.emit("ticks");
    await third;
    expect(ticks).toEqual([1, 2, 3]);
  });

  it("gives @ConnectedSocket() the client's own server-side socket, in its own room", async () => {
    const socket = await connect();
    const reply = (await socket.timeout(5000).emitWithAck("who")) as { id: string; rooms: string[] };
    expect(reply.id).toBe(socket.id);
    expect(reply.rooms).toEqual([socket.id]);
  });

  it("leaves the ack to a handler that takes it with @Ack()", async () => {
    const socket = await connect();
    expect(await socket.timeout(5000).emitWithAck("manual", "x")).toEqual({ manual: "x" });
  });

  it("keeps serving after a handler that returned nothing (the ack stays unanswered)", async () => {
    const socket = await connect();
    await expect(socket.timeout(300).emitWithAck("nothing")).rejects.toThrow();
    expect(await socket.timeout(5000).emitWithAck("sync", 1)).toEqual({ echoed: 1 });
  });
});
