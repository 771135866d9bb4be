import { Controller, Get } from "@nestjs/common";
import {
  ConnectedSocket,
  SubscribeMessage,
  WebSocketGateway,
  WebSocketServer,
  type OnGatewayConnection,
  type OnGatewayDisconnect,
  type OnGatewayInit,
} from "@nestjs/websockets";
import { Server, Socket } from "@roomcast/core";
import { request } from "node:http";
import { Test } from "@nestjs/testing";
import { createServer } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { RoomcastAdapter } from "../src/index.js";
import { ClientPool, roomcastClient, socketIoClient } from "./support/clients.js";
import { nextEvent, waitFor } from "./support/next-event.js";
import { ROOMCAST_SETUPS, SETUPS, roomcastAdapter, startApp, type RunningApp } from "./support/nest-app.js";

interface HookSocket {
  id: string;
  handshake: { auth: Record<string, unknown> };
}

@WebSocketGateway()
class HooksGateway implements OnGatewayInit, OnGatewayConnection, OnGatewayDisconnect {
  @WebSocketServer()
  server: unknown;
  initializedWith: unknown;
  readonly connected: HookSocket[] = [];
  readonly disconnected: { socket: HookSocket; reason: unknown }[] = [];

  afterInit(server: unknown): void {
    this.initializedWith = server;
  }

  handleConnection(socket: HookSocket): void {
    this.connected.push(socket);
  }

  handleDisconnect(socket: HookSocket, reason?: unknown): void {
    this.disconnected.push({ socket, reason });
  }

  @SubscribeMessage("leave")
  leave(@ConnectedSocket() socket: { disconnect(): void }): void {
    socket.disconnect();
  }
}

describe.each(SETUPS)("lifecycle hooks: $name", ({ adapter, client }) => {
  let running: RunningApp | undefined;
  const clients = new ClientPool(client);

  afterEach(async () => {
    clients.closeAll();
    await running?.close();
    running = undefined;
  });

  it("calls afterInit with the gateway's server", async () => {
    running = await startApp([HooksGateway], adapter);
    const gateway = running.app.get(HooksGateway);
    expect(gateway.initializedWith).toBeDefined();
    expect(gateway.initializedWith).toBe(gateway.server);
  });

  it("calls handleConnection with the client's socket and its handshake", async () => {
    running = await startApp([HooksGateway], adapter);
    const gateway = running.app.get(HooksGateway);
    const socket = await clients.connect(running.port, "/", { auth: { user: "ada" } });
    await waitFor(() => gateway.connected.length === 1, "handleConnection");
    expect(gateway.connected[0].id).toBe(socket.id);
    expect(gateway.connected[0].handshake.auth).toEqual({ user: "ada" });
  });

  it("calls handleDisconnect with the socket and the reason, when the client leaves", async () => {
    running = await startApp([HooksGateway], adapter);
    const gateway = running.app.get(HooksGateway);
    const socket = await clients.connect(running.port);
    const id = socket.id;
    socket.disconnect();
    await waitFor(() => gateway.disconnected.length === 1, "handleDisconnect");
    expect(gateway.disconnected[0].socket.id).toBe(id);
    expect(gateway.disconnected[0].reason).toBe("client namespace disconnect");
  });

  it("calls handleDisconnect when a handler disconnects the socket, and the client is told", async () => {
    running = await startApp([HooksGateway], adapter);
    const gateway = running.app.get(HooksGateway);
    const socket = await clients.connect(running.port);
    const told = nextEvent(socket, "disconnect");
    socket.emit("leave");
    expect(await told).toEqual(["io server disconnect", undefined]);
    await waitFor(() => gateway.disconnected.length === 1, "handleDisconnect");
    expect(gateway.disconnected[0].reason).toBe("server namespace disconnect");
  });

  it("app.close() disconnects the clients, runs handleDisconnect, and stops serving", async () => {
    running = await startApp([HooksGateway], adapter);
    const gateway = running.app.get(HooksGateway);
    const socket = await clients.connect(running.port);
    const id = socket.id;
    const gone = nextEvent(socket, "disconnect");
    const httpServer = running.app.getHttpServer();
    await running.close();
    await gone;
    expect(gateway.disconnected.map((entry) => entry.socket.id)).toEqual([id]);
    expect(httpServer.listening).toBe(false);
    await expect(clients.connect(running.port)).rejects.toThrow();
  });
});

describe.each(ROOMCAST_SETUPS)("lifecycle on roomcast: $name", ({ adapter, client }) => {
  let running: RunningApp | undefined;
  const clients = new ClientPool(client);

  afterEach(async () => {
    clients.closeAll();
    await running?.close();
    running = undefined;
  });

  it("hands the hooks roomcast's own Server and Socket", async () => {
    running = await startApp([HooksGateway], adapter);
    const gateway = running.app.get(HooksGateway);
    expect(gateway.server).toBeInstanceOf(Server);
    const socket = await clients.connect(running.port);
    await waitFor(() => gateway.connected.length === 1, "handleConnection");
    expect(gateway.connected[0]).toBeInstanceOf(Socket);
    socket.disconnect();
    await waitFor(() => gateway.disconnected.length === 1, "handleDisconnect");
    expect(gateway.disconnected[0].socket).toBe(gateway.connected[0]);
  });

  it("closes connections with 1012 (service restart) on app.close(), so clients reconnect rather than give up", async () => {
    running = await startApp([HooksGateway], adapter);
    const server = running.app.get(HooksGateway).server as Server;
    const socket = await clients.connect(running.port);
    const reason = nextEvent<[string]>(socket, "disconnect");
    await running.close();
    // a lost connection to the client, not "io server disconnect", which would stop its reconnection
    expect((await reason)[0]).toBe("transport close");
    expect(server.metrics.closeCodes.get(1012)).toBe(1);
  });
});

describe("a gateway with a port of its own", () => {
  let running: RunningApp | undefined;
  const clients = new ClientPool(roomcastClient);

  afterEach(async () => {
    clients.closeAll();
    await running?.close();
    running = undefined;
  });

  it("is served by a roomcast Server listening on that port, closed with the app", async () => {
    const port = await freePort();

    @WebSocketGateway(port)
    class PortGateway {
      @WebSocketServer()
      server!: Server;

      @SubscribeMessage("ping")
      ping(): string {
        return "pong";
      }
    }

    running = await startApp([PortGateway, HooksGateway], roomcastAdapter());
    const own = running.app.get(PortGateway).server;
    expect(own).toBeInstanceOf(Server);
    expect(own).not.toBe(running.app.get(HooksGateway).server);
    expect(own.httpServer).not.toBe(running.app.getHttpServer());

    const socket = await clients.connect(port);
    expect(await socket.timeout(5000).emitWithAck("ping")).toBe("pong");
    // the app's own port has only the other gateway, which has no "ping" handler
    const other = await clients.connect(running.port);
    await expect(other.timeout(300).emitWithAck("ping")).rejects.toThrow();

    await running.close();
    expect(own.httpServer?.listening).toBe(false);
  });
});

@Controller()
class SlowController {
  static release: (() => void) | undefined;

  @Get("slow")
  slow(): Promise<string> {
    return new Promise((resolve) => (SlowController.release = () => resolve("done")));
  }
}

describe("app.close() with Nest's forceCloseConnections", () => {
  const clients = new ClientPool(socketIoClient);

  afterEach(() => {
    clients.closeAll();
    SlowController.release?.();
    SlowController.release = undefined;
  });

  it("does not wait for HTTP requests still running: Nest's HTTP adapter ends them", async () => {
    const moduleRef = await Test.createTestingModule({ controllers: [SlowController], providers: [HooksGateway] }).compile();
    const app = moduleRef.createNestApplication({ logger: false, forceCloseConnections: true });
    app.useWebSocketAdapter(new RoomcastAdapter(app, { socketio: true }));
    await app.listen(0, "127.0.0.1");
    const port = (app.getHttpServer().address() as { port: number }).port;
    const socket = await clients.connect(port);
    const gone = nextEvent(socket, "disconnect");

    const slowRequest = new Promise<string>((resolve) => {
      const req = request({ host: "127.0.0.1", port, path: "/slow" }, () => resolve("answered"));
      req.on("error", (err) => resolve(`ended: ${(err as NodeJS.ErrnoException).code}`));
      req.end();
    });
    await waitFor(() => SlowController.release !== undefined, "the slow request to arrive");

    await app.close();
    expect(await slowRequest).toBe("ended: ECONNRESET");
    await gone;
  });
});

function freePort(): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    const probe = createServer();
    probe.once("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}
