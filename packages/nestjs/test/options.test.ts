import { SubscribeMessage, WebSocketGateway } from "@nestjs/websockets";
import { afterEach, describe, expect, it } from "vitest";
import { RoomcastAdapter, type RoomcastGatewayOptions } from "../src/index.js";
import { ClientPool, roomcastClient, socketIoClient } from "./support/clients.js";
import { roomcastAdapter, startApp, type RunningApp } from "./support/nest-app.js";

@WebSocketGateway()
class PlainGateway {
  @SubscribeMessage("where")
  where(): string {
    return "plain";
  }
}

@WebSocketGateway({ cros: { origin: "*" } })
class MistypedGateway {}

@WebSocketGateway({ cookie: { name: "io" } })
class SocketIoOnlyGateway {}

@WebSocketGateway({ path: "/other" })
class OtherPathGateway {}

@WebSocketGateway<RoomcastGatewayOptions>({ path: "/live" })
class LiveGateway {
  @SubscribeMessage("where")
  where(): string {
    return "live";
  }
}

@WebSocketGateway<RoomcastGatewayOptions>({ socketio: true, path: "/live" })
class LiveSocketIoGateway {
  @SubscribeMessage("where")
  where(): string {
    return "live, socket.io on";
  }
}

@WebSocketGateway<RoomcastGatewayOptions>({ namespace: "admin", pingInterval: 5000 })
class AdminGateway {}

@WebSocketGateway<RoomcastGatewayOptions>({ namespace: "staff", pingInterval: 10_000, cors: { origin: "https://app.example" } })
class StaffGateway {}

@WebSocketGateway<RoomcastGatewayOptions>({ pingInterval: 10_000 })
class RootWithIntervalGateway {}

@WebSocketGateway<RoomcastGatewayOptions>({ namespace: "admin", pingInterval: 10_000 })
class SameOptionsNamespaceGateway {}

describe("gateway options", () => {
  let running: RunningApp | undefined;
  const roomcastClients = new ClientPool(roomcastClient);
  const socketIoClients = new ClientPool(socketIoClient);

  afterEach(async () => {
    roomcastClients.closeAll();
    socketIoClients.closeAll();
    await running?.close();
    running = undefined;
  });

  it("refuses an unknown option when the app starts, naming it, the nearest known name and the gateway's port", async () => {
    const failure = startApp([MistypedGateway], roomcastAdapter());
    await expect(failure).rejects.toThrow(TypeError);
    await expect(failure).rejects.toThrow(/^the options of a @WebSocketGateway on the app's HTTP server: .*"cros".*"cors"/);
  });

  it("refuses a Socket.IO option roomcast does not support, with what to do instead", async () => {
    await expect(startApp([SocketIoOnlyGateway], roomcastAdapter())).rejects.toThrow(/option "cookie" is not supported/);
  });

  it("refuses a second server on the app's HTTP server: gateways there share one path", async () => {
    // which of the two comes first is Nest's choice
    await expect(startApp([PlainGateway, OtherPathGateway], roomcastAdapter())).rejects.toThrow(
      /^gateways on the app's HTTP server share one roomcast Server, created with path (\(the default\); another gateway there asks for path "\/other"|"\/other"; another gateway there asks for path \(the default\))/,
    );
  });

  it("reads path as roomcast's own endpoint without the Socket.IO endpoint", async () => {
    running = await startApp([LiveGateway], roomcastAdapter());
    const socket = await roomcastClients.connect(running.port, "/", { path: "/live" });
    expect(await socket.timeout(5000).emitWithAck("where")).toBe("live");
    await expect(socketIoClients.connect(running.port, "/", { path: "/live" })).rejects.toThrow();
  });

  it("reads path as Socket.IO does with socketio: true, roomcast clients keeping /roomcast", async () => {
    running = await startApp([LiveGateway], roomcastAdapter({ socketio: true }));
    const legacy = await socketIoClients.connect(running.port, "/", { path: "/live" });
    expect(await legacy.timeout(5000).emitWithAck("where")).toBe("live");
    const native = await roomcastClients.connect(running.port);
    expect(await native.timeout(5000).emitWithAck("where")).toBe("live");
  });

  it("reads path as Socket.IO does when the gateway itself turns the Socket.IO endpoint on", async () => {
    running = await startApp([LiveSocketIoGateway], roomcastAdapter());
    const legacy = await socketIoClients.connect(running.port, "/", { path: "/live" });
    expect(await legacy.timeout(5000).emitWithAck("where")).toBe("live, socket.io on");
    await expect(roomcastClients.connect(running.port, "/", { path: "/live" })).rejects.toThrow();
    const native = await roomcastClients.connect(running.port);
    expect(await native.timeout(5000).emitWithAck("where")).toBe("live, socket.io on");
  });

  it("warns when a namespaced gateway's own options differ from those of the server it shares", async () => {
    running = await startApp([AdminGateway, StaffGateway], roomcastAdapter());
    const warnings = running.logs.messages("warn");
    expect(warnings).toHaveLength(1);
    // the server is the first gateway's (Nest's order); the other one's differing options are named
    expect(warnings[0]).toMatch(
      /^the gateway of namespace ("\/admin" .* its options "pingInterval" differ|"\/staff" .* its options "pingInterval", "cors" differ)/,
    );
    expect(warnings[0]).toContain("shares the roomcast Server on the app's HTTP server with the gateway that created it");
  });

  it("does not warn when the shared options are the same", async () => {
    running = await startApp([RootWithIntervalGateway, SameOptionsNamespaceGateway], roomcastAdapter());
    expect(running.logs.messages("warn")).toEqual([]);
  });
});

describe("adapter options", () => {
  it("refuses an unknown server option where the adapter is made", () => {
    expect(() => new RoomcastAdapter(undefined, { pingIntervall: 5000 } as never)).toThrow(/unknown option "pingIntervall".*"pingInterval"/);
  });

  it("refuses a maxPendingReplies that is not a positive integer", () => {
    expect(() => new RoomcastAdapter(undefined, { maxPendingReplies: 0 })).toThrow(/"maxPendingReplies" must be a positive integer/);
    expect(() => new RoomcastAdapter(undefined, { maxPendingReplies: 1.5 })).toThrow(TypeError);
  });
});
