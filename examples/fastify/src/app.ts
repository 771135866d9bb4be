import { Server } from "@roomcast/core";
import Fastify from "fastify";
import type { ClientToServer, ServerToClient } from "./events.js";

export interface StartOptions {
  /** 0 picks a free port. Default 3000. */
  port?: number;
  host?: string;
}

// Room names and texts as Fastify validates them (JSON Schema), before the handler runs.
const room = { type: "string", minLength: 1, maxLength: 64 } as const;
const text = { type: "string", minLength: 1, maxLength: 1000 } as const;

/** Fastify serves the HTTP API, roomcast the sockets, on Fastify's own HTTP server. */
export async function start({ port = 3000, host = "127.0.0.1" }: StartOptions = {}) {
  const app = Fastify();
  // roomcast takes the requests for its paths (/roomcast, /socket.io/) and hands every other one
  // to Fastify. socketio: true serves unmodified socket.io-clients beside @roomcast/client.
  const io = new Server<ClientToServer, ServerToClient>(app.server, { socketio: true });
  // Sockets first: an open WebSocket would keep Fastify's server.close() waiting.
  app.addHook("preClose", async () => {
    await io.close();
  });

  const members = (name: string) => io.of("/").adapter.rooms.get(name)?.size ?? 0;

  io.on("connection", (socket) => {
    socket.on("join", (name, ack) => {
      socket.join(name);
      ack(members(name));
    });
    socket.on("leave", (name, ack) => {
      socket.leave(name);
      ack(members(name));
    });
  });

  app.get<{ Params: { room: string } }>("/rooms/:room", { schema: { params: { type: "object", properties: { room } } } }, async (req) => ({
    room: req.params.room,
    members: members(req.params.room),
  }));

  // An HTTP request reaches every socket in a room: a webhook, a cron job, another service.
  app.post<{ Body: { room: string; text: string } }>(
    "/announce",
    { schema: { body: { type: "object", required: ["room", "text"], properties: { room, text } } } },
    async (req, reply) => {
      const { room, text } = req.body;
      io.to(room).emit("announcement", { room, text });
      return reply.code(202).send({ room, recipients: members(room) });
    },
  );

  // The room's sockets answer through acks, collected into the HTTP response.
  app.post<{ Body: { room: string; question: string } }>(
    "/poll",
    { schema: { body: { type: "object", required: ["room", "question"], properties: { room, question: text } } } },
    async (req) => {
      const { room, question } = req.body;
      // The callback form: when some socket does not answer in time, it still gets the answers that came.
      return new Promise((resolve) => {
        io.to(room)
          .timeout(2000)
          .emit("poll", question, (err, answers) => resolve({ question, answers, complete: err === null }));
      });
    },
  );

  await app.listen({ port, host });
  const { port: boundPort } = app.server.address() as { port: number };
  return {
    url: `http://${host}:${boundPort}`,
    io,
    /** Closes every socket, then Fastify and its HTTP server. */
    close: () => app.close(),
  };
}
