import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { io as socketIoClient } from "socket.io-client";
import { afterEach, describe, expect, it } from "vitest";
import { WebSocket } from "ws";
import { Server } from "../../src/socket-io.js";

/**
 * The drop-in import reads options as Socket.IO does: `path` is where socket.io-clients connect,
 * and the Socket.IO endpoint is on unless turned off.
 */
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function listen(options: Record<string, unknown>): Promise<{ io: Server; url: string }> {
  const http = createServer();
  const io = new Server(http, options);
  await new Promise<void>((resolve) => http.listen(0, "127.0.0.1", resolve));
  cleanups.push(() => io.close());
  return { io, url: `http://127.0.0.1:${(http.address() as AddressInfo).port}` };
}

function connects(url: string, path: string): Promise<string> {
  const client = socketIoClient(url, { path, transports: ["websocket"], reconnection: false, forceNew: true, timeout: 3000 });
  cleanups.push(() => void client.disconnect());
  return new Promise((resolve, reject) => {
    client.once("connect", () => resolve(client.io.engine.transport.name));
    client.once("connect_error", reject);
  });
}

describe("@roomcast/core/socket.io", () => {
  it("serves socket.io-clients at /socket.io/ with no option, and io.path() answers that path", async () => {
    const { io, url } = await listen({});
    expect(await connects(url, "/socket.io")).toBe("websocket");
    expect(io.path()).toBe("/socket.io");
    expect(io.options.path).toBe("/roomcast");
  });

  it("reads path as the Socket.IO endpoint's path, leaving roomcast's own at /roomcast", async () => {
    const { io, url } = await listen({ path: "/chat" });
    expect(await connects(url, "/chat")).toBe("websocket");
    expect(io.path()).toBe("/chat");
    expect(io.options.path).toBe("/roomcast");
  });

  it("keeps the endpoint on for socketio: undefined, and off for socketio: false", async () => {
    const on = await listen({ socketio: undefined });
    expect(await connects(on.url, "/socket.io")).toBe("websocket");
    const off = await listen({ socketio: false });
    await expect(connects(off.url, "/socket.io")).rejects.toThrow();
  });

  it("refuses a path that is roomcast's own endpoint, and path given twice", () => {
    expect(() => new Server({ path: "/roomcast" })).toThrow(/roomcast's own endpoint/);
    expect(() => new Server({ path: "/a", socketio: { path: "/b/" } })).toThrow(TypeError);
  });

  it("tells a roomcast client pointed at the Socket.IO path where it belongs", async () => {
    const { url } = await listen({});
    const ws = new WebSocket(`${url.replace("http", "ws")}/socket.io/`, ["roomcast.v1.json"]);
    const body = await new Promise<string>((resolve, reject) => {
      ws.on("unexpected-response", (_req, res) => {
        let text = "";
        res.on("data", (chunk: Buffer) => (text += chunk.toString()));
        res.on("end", () => resolve(`${res.statusCode} ${text}`));
      });
      ws.on("open", () => reject(new Error("upgraded")));
      ws.on("error", () => {});
    });
    expect(body).toMatch(/^400 .*roomcast clients connect to \/roomcast/);
  });
});
