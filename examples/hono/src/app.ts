import { once } from "node:events";
import type { Server as HttpServer } from "node:http";
import type { AddressInfo } from "node:net";
import { serve } from "@hono/node-server";
import { Server } from "@roomcast/core";
import { Hono } from "hono";
import type { ClientToServer, ServerToClient, SocketData } from "./events.js";

export interface StartOptions {
  /** 0 picks a free port. Default 3000. */
  port?: number;
  host?: string;
}

const NAME = /^[\w-]{1,32}$/;

/** Hono answers HTTP, roomcast the sockets, on the one Node server @hono/node-server starts. */
export async function start({ port = 3000, host = "127.0.0.1" }: StartOptions = {}) {
  // Options now, the HTTP server once serve() made it. socketio: true also serves unmodified
  // socket.io-clients at /socket.io/, beside @roomcast/client at /roomcast.
  const io = new Server<ClientToServer, ServerToClient, Record<string, never>, SocketData>({ socketio: true });

  // Every socket, of either kind of client, names itself in its handshake's auth.
  io.use((socket, next) => {
    const { name } = socket.handshake.auth as { name?: unknown };
    if (typeof name !== "string" || !NAME.test(name)) return next(Object.assign(new Error(typeof name === "string" ? "that name is not allowed" : "a name is required"), { data: { pattern: NAME.source } }));
    socket.data.name = name;
    next();
  });

  io.on("connection", (socket) => {
    socket.on("join", async (room, ack) => {
      socket.join(room);
      const members = await io.in(room).fetchSockets();
      ack(members.map((member) => member.data.name).sort());
    });
    socket.on("message", (room, text) => socket.to(room).emit("message", { room, from: socket.data.name, text }));
  });

  const app = new Hono();
  app.get("/health", (c) => c.json({ status: "ok", connections: io.engine.clientsCount }));
  app.get("/rooms/:room", async (c) => {
    const members = await io.in(c.req.param("room")).fetchSockets();
    return c.json({ room: c.req.param("room"), names: members.map((member) => member.data.name).sort() });
  });
  // An HTTP client posts into a room, the way a webhook or another service would.
  app.post("/rooms/:room/messages", async (c) => {
    const body = await c.req.json().catch(() => null);
    const text = (body as { text?: unknown } | null)?.text;
    if (typeof text !== "string" || text.length === 0 || text.length > 1000) return c.json({ error: "text: a string of 1 to 1000 characters" }, 400);
    const room = c.req.param("room");
    const recipients = (await io.in(room).fetchSockets()).length;
    io.to(room).emit("message", { room, from: "http", text });
    return c.json({ room, recipients }, 202);
  });

  // serve() starts listening at once; roomcast attaches before the first request can arrive.
  // Without createServer/serverOptions it is a plain node:http server.
  const httpServer = serve({ fetch: app.fetch, port, hostname: host }) as HttpServer;
  io.attach(httpServer);
  await once(httpServer, "listening");
  const { port: boundPort } = httpServer.address() as AddressInfo;
  return {
    url: `http://${host}:${boundPort}`,
    io,
    /** Closes every socket, then the HTTP server. */
    close: () => io.close(),
  };
}
