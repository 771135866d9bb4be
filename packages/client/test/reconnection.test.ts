import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createServer } from "node:net";
import { ClientPool, once, waitFor } from "./support/clients.js";
import { startServer, type TestServer } from "./support/server.js";

describe("Manager reconnection", () => {
  let server: TestServer;
  const clients = new ClientPool();

  beforeEach(async () => {
    server = await startServer();
  });
  afterEach(async () => {
    clients.closeAll();
    delete (globalThis as { addEventListener?: unknown }).addEventListener;
    delete (globalThis as { removeEventListener?: unknown }).removeEventListener;
    await server.close();
  });

  it("reconnects to a server restarted on the same port and flushes the emits made meanwhile, in order", async () => {
    const socket = clients.connect(server.url);
    await once(socket, "connect");
    const events: string[] = [];
    socket.io.on("reconnect_attempt", () => events.push("reconnect_attempt"));
    socket.io.on("reconnect", () => events.push("reconnect"));
    const disconnected = once(socket, "disconnect");
    await server.close();
    await disconnected;
    for (let i = 0; i < 5; i++) socket.emit("note", i);
    expect(socket.sendBuffer).toHaveLength(5);

    server = await startServer({}, server.port);
    const received: number[] = [];
    server.io.on("connection", (s: any) => s.on("note", (i: number) => received.push(i)));
    await once(socket, "connect", 8000);
    await waitFor(() => received.length === 5);
    expect(received).toEqual([0, 1, 2, 3, 4]);
    expect(events).toContain("reconnect_attempt");
    expect(events[events.length - 1]).toBe("reconnect");
  });

  it("emits reconnect_failed after reconnectionAttempts against a dead port", async () => {
    const port = await freePort();
    const socket = clients.connect(`http://127.0.0.1:${port}`, { reconnectionAttempts: 3, reconnectionDelay: 10, reconnectionDelayMax: 20 });
    let attempts = 0;
    let errors = 0;
    socket.io.on("reconnect_attempt", () => attempts++);
    socket.io.on("reconnect_error", () => errors++);
    const connectErrors: Error[] = [];
    socket.on("connect_error", (err) => connectErrors.push(err));
    await once(socket.io, "reconnect_failed");
    expect(attempts).toBe(3);
    expect(errors).toBe(3);
    expect(connectErrors.length).toBe(4); // the first open and three attempts
  });

  it("tries at once when the browser reports the network back online", async () => {
    const target = new EventTarget();
    Object.assign(globalThis, {
      addEventListener: target.addEventListener.bind(target),
      removeEventListener: target.removeEventListener.bind(target),
    });
    const port = await freePort();
    const socket = clients.connect(`http://127.0.0.1:${port}`, { reconnectionDelay: 60_000, reconnectionDelayMax: 60_000, randomizationFactor: 0 });
    await once(socket.io, "error");
    const attempt = once(socket.io, "reconnect_attempt", 2000);
    target.dispatchEvent(new Event("online"));
    await attempt;
  });

  it("stops reconnecting on disconnect()", async () => {
    const socket = clients.connect(server.url, { reconnectionDelay: 100, reconnectionDelayMax: 100 });
    await once(socket, "connect");
    await server.close();
    await once(socket.io, "reconnect_attempt");
    socket.disconnect();
    let attempts = 0;
    socket.io.on("reconnect_attempt", () => attempts++);
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(attempts).toBe(0);
    expect(socket.active).toBe(false);
  });
});

async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((resolve) => srv.listen(0, "127.0.0.1", () => resolve()));
  const port = (srv.address() as { port: number }).port;
  await new Promise((resolve) => srv.close(resolve));
  return port;
}
