import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ClientPool, once, waitFor } from "./support/clients.js";
import { startServer, type TestServer } from "./support/server.js";

const timers = () => process.getActiveResourcesInfo().filter((r) => r === "Timeout").length;

describe("Resource cleanup", () => {
  let server: TestServer;
  const clients = new ClientPool();

  beforeEach(async () => {
    server = await startServer();
  });
  afterEach(async () => {
    clients.closeAll();
    await server.close();
  });

  it("socket.disconnect() clears every timer and listener the client created", async () => {
    server.io.on("connection", (s: any) => s.on("ignore", () => {}));
    const before = timers();
    const socket = clients.connect(server.url, { ackTimeout: 60_000 });
    await once(socket, "connect");
    socket.emit("ignore", () => {});
    socket.timeout(60_000).emit("ignore", () => {});
    expect(timers()).toBeGreaterThan(before);
    socket.disconnect();
    await waitFor(() => timers() <= before);
    expect(socket.io.listeners("open")).toHaveLength(0);
    expect(socket.io.listeners("close")).toHaveLength(0);
    expect(socket.io.listeners("error")).toHaveLength(0);
  });

  it("fails pending acks with an error on disconnect instead of leaving them hanging", async () => {
    server.io.on("connection", (s: any) => s.on("ignore", () => {}));
    const socket = clients.connect(server.url);
    await once(socket, "connect");
    const pending = socket.timeout(60_000).emitWithAck("ignore");
    socket.disconnect();
    await expect(pending).rejects.toThrow("socket has been disconnected");
  });

  it("manager close() while reconnecting leaves no timer behind", async () => {
    const socket = clients.connect(server.url, { reconnectionDelay: 30_000, reconnectionDelayMax: 30_000, randomizationFactor: 0 });
    await once(socket, "connect");
    const disconnected = once(socket, "disconnect");
    await server.close();
    await disconnected;
    const before = timers();
    socket.io.close();
    await waitFor(() => timers() < before);
  });
});
