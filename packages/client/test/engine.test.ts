import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { Manager } from "../src/index.js";
import { ClientPool, once } from "./support/clients.js";
import { startServer, type TestServer } from "./support/server.js";

describe("Manager#engine", () => {
  let server: TestServer;
  const clients = new ClientPool();

  beforeEach(async () => {
    server = await startServer();
  });
  afterEach(async () => {
    clients.closeAll();
    await server.close();
  });

  it("is a closed websocket engine before the first connection", () => {
    const manager = new Manager(server.url, { autoConnect: false });
    expect(manager.engine.readyState).toBe("closed");
    expect(manager.engine.transport.name).toBe("websocket");
  });

  it("goes from opening to open, and emits open before the manager does", async () => {
    const socket = clients.connect(server.url);
    const engine = socket.io.engine;
    expect(engine.readyState).toBe("opening");
    const order: string[] = [];
    engine.on("open", () => order.push("engine"));
    socket.io.on("open", () => order.push("manager"));
    await once(socket, "connect");
    expect(engine.readyState).toBe("open");
    expect(order).toEqual(["engine", "manager"]);
  });

  it("emits close with the reason and the close code, before the socket's disconnect; a new engine serves the reconnection", async () => {
    const socket = clients.connect(server.url);
    await once(socket, "connect");
    const first = socket.io.engine;
    const order: string[] = [];
    const closed = once<[string, { code?: number }]>(first, "close");
    first.on("close", () => order.push("engine close"));
    socket.on("disconnect", () => order.push("disconnect"));
    const port = server.port;
    await server.close();
    const [reason, description] = await closed;
    expect(reason).toBe("transport close");
    expect(description.code).toBe(1012);
    expect(first.readyState).toBe("closed");
    expect(order).toEqual(["engine close", "disconnect"]);

    server = await startServer({}, port);
    await once(socket, "connect", 8000);
    expect(socket.io.engine).not.toBe(first);
    expect(socket.io.engine.readyState).toBe("open");
  });

  it('close() drops the connection as a network failure would: "transport close", then a reconnection', async () => {
    const socket = clients.connect(server.url, { reconnectionDelay: 10, reconnectionDelayMax: 20 });
    await once(socket, "connect");
    const first = socket.io.engine;
    const disconnected = once<[string]>(socket, "disconnect");
    first.close();
    expect((await disconnected)[0]).toBe("transport close");
    expect(first.readyState).toBe("closed");
    await once(socket, "connect", 5000);
    expect(socket.io.engine).not.toBe(first);
    first.close(); // a closed engine's close() does nothing
    expect(socket.connected).toBe(true);
  });

  it('emits close "forced close" when the app closes the connection', async () => {
    const socket = clients.connect(server.url);
    await once(socket, "connect");
    const closed = once<[string]>(socket.io.engine, "close");
    socket.disconnect();
    expect((await closed)[0]).toBe("forced close");
  });

  it('emits close "transport error" with the error when the connection never opens', async () => {
    const port = server.port;
    await server.close(); // nothing listens there any more
    const socket = clients.connect(`http://127.0.0.1:${port}`, { reconnection: false });
    const [reason, description] = await once<[string, { error?: Error }]>(socket.io.engine, "close");
    expect(reason).toBe("transport error");
    expect(description.error?.message).toMatch(/^WebSocket connection to ws:\/\/127\.0\.0\.1:\d+\/roomcast failed: connect ECONNREFUSED/);
  });
});

describe("Manager#uri and #opts", () => {
  it("uri is the WebSocket endpoint: scheme, host, path option and query", () => {
    const manager = new Manager("https://chat.example:8443/admin?from=url", { path: "/rc", query: { room: "lobby" }, autoConnect: false });
    expect(manager.uri).toBe("wss://chat.example:8443/rc?from=url&room=lobby");
  });

  it("opts follows the getter/setters", () => {
    const manager = new Manager("http://127.0.0.1:1", { autoConnect: false });
    manager.reconnectionAttempts(3);
    expect(manager.opts.reconnectionAttempts).toBe(3);
  });
});
