import { randomUUID } from "node:crypto";
import { createServer } from "node:http";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import express from "express";
import { Server } from "socket.io";

const publicDir = fileURLToPath(new URL("../public/", import.meta.url));
// The browser bundle ships inside the socket.io-client package; express serves it as a plain file.
const clientBundleDir = join(dirname(createRequire(import.meta.url).resolve("socket.io-client/package.json")), "dist");

const NICKNAME = /^[\p{L}\p{N}_.-]{1,24}$/u;
const ROOM_NAME = /^[\p{L}\p{N}_-]{1,32}$/u;
const MAX_MESSAGE_LENGTH = 500;
const POLL_CHOICES = ["yes", "no"];

// Chat rooms live under a prefix so that a room name can never collide with the room Socket.IO
// gives every socket under its own id.
const ROOM_PREFIX = "room:";
const roomKey = (name) => ROOM_PREFIX + name;
const isRoomName = (name) => typeof name === "string" && ROOM_NAME.test(name);

/**
 * Starts the chat: Express for the page, Socket.IO for the conversation.
 *
 * @param {object} [options]
 * @param {number} [options.port] 0 picks a free port
 * @param {string} [options.host]
 * @param {number} [options.pollTimeoutMs] how long a poll waits for the room's answers
 * @returns {Promise<{ url: string, close: () => Promise<void> }>}
 */
export async function start({ port = 3000, host = "127.0.0.1", pollTimeoutMs = 10_000 } = {}) {
  const app = express();
  app.use(express.static(publicDir));
  app.use("/vendor/socket.io", express.static(clientBundleDir));

  const httpServer = createServer(app);
  const io = new Server(httpServer, { serveClient: false });

  // Refused handshakes reach the client as "connect_error", with err.data intact.
  io.use((socket, next) => {
    const nickname = socket.handshake.auth.nickname;
    if (typeof nickname !== "string" || !NICKNAME.test(nickname)) {
      const err = new Error("nickname required");
      err.data = { field: "nickname", rule: "1 to 24 letters, digits, '.', '_' or '-'" };
      return next(err);
    }
    socket.data.nickname = nickname;
    next();
  });

  io.on("connection", (socket) => {
    const { nickname } = socket.data;
    const isMember = (room) => isRoomName(room) && socket.rooms.has(roomKey(room));

    socket.on("join", async (room, ack) => {
      if (typeof ack !== "function") return;
      if (!isRoomName(room)) return ack({ ok: false, error: "invalid room name" });
      await socket.join(roomKey(room));
      socket.to(roomKey(room)).emit("user joined", { room, nickname });
      const members = await io.in(roomKey(room)).fetchSockets();
      ack({ ok: true, room, members: members.map((member) => member.data.nickname).sort() });
    });

    socket.on("leave", async (room, ack) => {
      if (typeof ack !== "function") return;
      if (!isMember(room)) return ack({ ok: false, error: "not in that room" });
      await socket.leave(roomKey(room));
      socket.to(roomKey(room)).emit("user left", { room, nickname, reason: "left" });
      ack({ ok: true, room });
    });

    socket.on("message", (room, text, ack) => {
      if (typeof ack !== "function") return;
      if (!isMember(room)) return ack({ ok: false, error: "join the room first" });
      if (typeof text !== "string" || text.trim() === "" || text.length > MAX_MESSAGE_LENGTH) {
        return ack({ ok: false, error: `a message is 1 to ${MAX_MESSAGE_LENGTH} characters` });
      }
      const message = { id: randomUUID(), room, from: nickname, text, at: Date.now() };
      // The sender already has its message: the ack below confirms it, the room gets the copy.
      socket.to(roomKey(room)).emit("message", message);
      ack({ ok: true, id: message.id, at: message.at });
    });

    socket.on("typing", (room) => {
      if (!isMember(room)) return;
      // A typing hint that arrives late is worse than none: let a busy connection drop it.
      socket.volatile.to(roomKey(room)).emit("typing", { room, nickname });
    });

    socket.on("poll", (room, question, ack) => {
      if (typeof ack !== "function") return;
      if (!isMember(room)) return ack({ ok: false, error: "join the room first" });
      if (typeof question !== "string" || question.trim() === "" || question.length > MAX_MESSAGE_LENGTH) {
        return ack({ ok: false, error: "a poll needs a question" });
      }
      ack({ ok: true, closesInMs: pollTimeoutMs });
      const poll = { id: randomUUID(), room, question, from: nickname, choices: POLL_CHOICES };
      // Everyone in the room answers, the asker too. `err` is set when someone did not answer in
      // time; `replies` then holds the answers that did arrive.
      io.to(roomKey(room))
        .timeout(pollTimeoutMs)
        .emit("poll", poll, (err, replies) => {
          const votes = Object.fromEntries(POLL_CHOICES.map((choice) => [choice, 0]));
          for (const reply of replies ?? []) if (POLL_CHOICES.includes(reply)) votes[reply] += 1;
          io.to(roomKey(room)).emit("poll closed", { id: poll.id, room, question, votes, everyoneAnswered: !err });
        });
    });

    // Still in its rooms here (unlike "disconnect"), so the rooms can be told who went away.
    socket.on("disconnecting", () => {
      for (const key of socket.rooms) {
        if (!key.startsWith(ROOM_PREFIX)) continue;
        socket.to(key).emit("user left", { room: key.slice(ROOM_PREFIX.length), nickname, reason: "disconnected" });
      }
    });
  });

  await new Promise((resolve, reject) => {
    httpServer.once("error", reject);
    httpServer.listen(port, host, () => {
      httpServer.off("error", reject);
      resolve();
    });
  });
  const address = httpServer.address();
  return {
    url: `http://${host}:${address.port}`,
    // Closes every socket, then the HTTP server.
    close: () => new Promise((resolve) => io.close(() => resolve())),
  };
}
