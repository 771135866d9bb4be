import { ConnectedSocket, MessageBody, SubscribeMessage, WebSocketGateway, WebSocketServer, type OnGatewayInit } from "@nestjs/websockets";
import { afterEach, describe, expect, it } from "vitest";
import { ClientPool } from "./support/clients.js";
import { nextEvent } from "./support/next-event.js";
import { SETUPS, startApp, type RunningApp } from "./support/nest-app.js";

interface NamedSocket {
  id: string;
  nsp: { name: string };
}

interface NamedServer {
  name?: string;
  emit(event: string, ...args: unknown[]): unknown;
}

@WebSocketGateway()
class RootGateway {
  @SubscribeMessage("where")
  where(@ConnectedSocket() socket: NamedSocket): string {
    return `root gateway, ${socket.nsp.name}`;
  }
}

@WebSocketGateway({ namespace: "chat" })
class ChatGateway implements OnGatewayInit {
  @WebSocketServer()
  server!: NamedServer;
  initialized: NamedServer | undefined;

  afterInit(server: NamedServer): void {
    this.initialized = server;
  }

  @SubscribeMessage("where")
  where(@ConnectedSocket() socket: NamedSocket): string {
    return `chat gateway, ${socket.nsp.name}`;
  }

  @SubscribeMessage("shout")
  shout(@MessageBody() text: string): string {
    this.server.emit("shouted", text);
    return "ok";
  }
}

@WebSocketGateway({ namespace: /^\/team-\d+$/ })
class TeamGateway {
  @SubscribeMessage("where")
  where(@ConnectedSocket() socket: NamedSocket): string {
    return `team gateway, ${socket.nsp.name}`;
  }
}

describe.each(SETUPS)("namespaces: $name", ({ adapter, client }) => {
  let running: RunningApp | undefined;
  const clients = new ClientPool(client);

  afterEach(async () => {
    clients.closeAll();
    await running?.close();
    running = undefined;
  });

  it("routes each namespace's events to its own gateway, on one port", async () => {
    running = await startApp([RootGateway, ChatGateway], adapter);
    const root = await clients.connect(running.port);
    const chat = await clients.connect(running.port, "/chat");
    expect(await root.timeout(5000).emitWithAck("where")).toBe("root gateway, /");
    expect(await chat.timeout(5000).emitWithAck("where")).toBe("chat gateway, /chat");
  });

  it("gives the gateway its namespace as @WebSocketServer() and afterInit's argument", async () => {
    running = await startApp([RootGateway, ChatGateway], adapter);
    const gateway = running.app.get(ChatGateway);
    expect(gateway.server.name).toBe("/chat");
    expect(gateway.initialized).toBe(gateway.server);

    const root = await clients.connect(running.port);
    const chat = await clients.connect(running.port, "/chat");
    const rootSeen: unknown[] = [];
    root.on("shouted", (text: unknown) => rootSeen.push(text));
    const chatHears = nextEvent(chat, "shouted");
    expect(await chat.timeout(5000).emitWithAck("shout", "hey")).toBe("ok");
    expect(await chatHears).toEqual(["hey"]);
    // a "shouted" for the root namespace would have come before this reply
    await root.timeout(5000).emitWithAck("where");
    expect(rootSeen).toEqual([]);
  });

  it("serves a gateway with a RegExp namespace on every matching name", async () => {
    running = await startApp([TeamGateway], adapter);
    const team7 = await clients.connect(running.port, "/team-7");
    const team42 = await clients.connect(running.port, "/team-42");
    expect(await team7.timeout(5000).emitWithAck("where")).toBe("team gateway, /team-7");
    expect(await team42.timeout(5000).emitWithAck("where")).toBe("team gateway, /team-42");
    await expect(clients.connect(running.port, "/team-x")).rejects.toThrow(/Invalid namespace/);
  });
});
