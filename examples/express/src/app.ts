import { randomBytes } from "node:crypto";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { Server } from "@roomcast/core";
import express from "express";
import session from "express-session";
import { passwordMatches } from "./accounts.js";
import type { ClientToServer, ServerToClient, SocketData } from "./events.js";

declare module "express-session" {
  interface SessionData {
    user: string;
  }
}
// io.engine.use(sessionMiddleware) below runs express-session on every socket's handshake
// request, so socket.request carries the session just as Express's req does.
declare module "http" {
  interface IncomingMessage {
    session: session.Session & Partial<session.SessionData>;
  }
}

export interface StartOptions {
  /** 0 picks a free port. Default 3000. */
  port?: number;
  host?: string;
  /** Signs the session cookie; random when omitted, so sessions end with the process. */
  sessionSecret?: string;
}

/** Express serves the login, roomcast the sockets, both on one HTTP server and one session. */
export async function start({ port = 3000, host = "127.0.0.1", sessionSecret = randomBytes(32).toString("hex") }: StartOptions = {}) {
  const sessionMiddleware = session({ secret: sessionSecret, resave: false, saveUninitialized: false, cookie: { httpOnly: true, sameSite: "lax" } });
  const app = express();
  const httpServer = createServer(app);
  // socketio: true also serves unmodified socket.io-clients at /socket.io/, beside /roomcast.
  const io = new Server<ClientToServer, ServerToClient, Record<string, never>, SocketData>(httpServer, { socketio: true });

  app.use(sessionMiddleware, express.json());
  app.post("/login", (req, res) => {
    const { username, password } = (req.body ?? {}) as Record<string, unknown>;
    if (!passwordMatches(username, password)) return void res.status(401).json({ error: "wrong username or password" });
    // A new session id at login, so a cookie planted before it is worth nothing after.
    req.session.regenerate((err) => {
      if (err) return void res.status(500).end();
      req.session.user = username;
      res.json({ user: username });
    });
  });
  app.post("/logout", (req, res) => {
    const { user } = req.session;
    req.session.destroy(() => {
      // The user's open sockets end with the login.
      if (user) io.in(`user:${user}`).disconnectSockets();
      res.status(204).end();
    });
  });

  // Every socket's handshake goes through the same session middleware as Express's routes.
  io.engine.use(sessionMiddleware);
  io.use((socket, next) => {
    const user = socket.request.session.user;
    if (!user) return next(Object.assign(new Error("unauthorized"), { data: { reason: "log in first" } }));
    socket.data.user = user;
    next();
  });

  io.on("connection", (socket) => {
    const { user } = socket.data;
    socket.join(`user:${user}`);
    socket.on("whoami", (ack) => ack({ user, transport: socket.conn.transport.name }));
    socket.on("join", (room, ack) => {
      socket.join(room);
      ack(io.of("/").adapter.rooms.get(room)?.size ?? 0);
    });
    // Everyone in the room hears it but the sender.
    socket.on("say", (room, text) => socket.to(room).emit("said", { room, from: user, text }));
  });

  await new Promise<void>((resolve, reject) => {
    httpServer.once("error", reject).listen(port, host, () => resolve());
  });
  const { port: boundPort } = httpServer.address() as AddressInfo;
  return {
    url: `http://${host}:${boundPort}`,
    io,
    /** Closes every socket, then the HTTP server. */
    close: () => io.close(),
  };
}
