import { randomUUID } from "node:crypto";
import type { ChatUser, CredentialsRejection, Reply, RoomSummary } from "../shared/chat-events.js";
import {
  DEFAULT_ROOMS,
  MAX_ROOMS_PER_USER,
  colorProblem,
  normalizeMessageText,
  normalizeRoomName,
} from "../shared/chat-rules.js";
import { ROOM_PREFIX, roomKey, type ChatServer, type ChatSocket } from "./chat-types.js";
import { nicknameRefusal } from "./nickname-policy.js";
import { PresenceBroadcaster } from "./presence.js";
import { reachableSockets } from "./reachable-sockets.js";

export interface ChatOptions {
  nodeId: string;
  /** See {@link PresenceBroadcaster}; default 10 s. */
  presenceRefreshMs?: number;
  log?: (message: string) => void;
}

/**
 * Wires the chat onto a roomcast server: the handshake check, rooms, room messages, direct
 * messages, presence and typing. Returns a function that releases the chat's timers.
 */
export function attachChat(io: ChatServer, options: ChatOptions): () => void {
  const log = options.log ?? ((message: string) => console.error(`[${options.nodeId}] ${message}`));
  const presence = new PresenceBroadcaster(io, options.presenceRefreshMs ?? 10_000, log);

  // Runs on every connection, reconnections included, so a nickname that became invalid
  // sends the page back to its nickname dialog.
  io.use((socket, next) => {
    const auth = socket.handshake.auth as { nickname?: unknown; color?: unknown };
    const nicknameError = nicknameRefusal(auth.nickname);
    const colorError = nicknameError ? null : colorProblem(auth.color);
    if (nicknameError || colorError) {
      const data: CredentialsRejection = {
        code: "INVALID_CREDENTIALS",
        field: nicknameError ? "nickname" : "color",
        reason: (nicknameError ?? colorError)!,
      };
      next(Object.assign(new Error("invalid credentials"), { data }));
      return;
    }
    socket.data = {
      user: { id: socket.id, nickname: (auth.nickname as string).trim(), color: (auth.color as string).toLowerCase() },
    };
    next();
  });

  io.on("connection", (socket) => {
    const user = socket.data.user;
    socket.emit("session", { user, nodeId: options.nodeId });
    // A recovered socket is back in its rooms without joining them again, and its drop already
    // told those rooms it had left: announce it there once more.
    if (socket.recovered) for (const room of chatRooms(socket)) presence.schedule(room);

    socket.on("room:list", (ack) => {
      if (typeof ack !== "function") return;
      listRooms(io, log).then(ack, (err: Error) => {
        log(`room list failed: ${err.message}`);
        ack(DEFAULT_ROOMS.map((name) => ({ name, members: 0 })));
      });
    });

    socket.on("room:join", (name, ack) => {
      if (typeof ack !== "function") return;
      const room = normalizeRoomName(name);
      if (!room) return ack(refuse("room names are 1-32 characters: a-z, 0-9, '_' and '-'"));
      if (!socket.rooms.has(roomKey(room)) && chatRoomCount(socket) >= MAX_ROOMS_PER_USER) {
        return ack(refuse(`you can be in at most ${MAX_ROOMS_PER_USER} rooms`));
      }
      void joinRoom(socket, room).then(ack, (err: Error) => {
        log(`join ${room} failed: ${err.message}`);
        ack(refuse("could not join, try again"));
      });
    });

    socket.on("room:leave", (name, ack) => {
      const room = normalizeRoomName(name);
      const reply = (r: Reply) => typeof ack === "function" && ack(r);
      if (!room || !socket.rooms.has(roomKey(room))) return reply(refuse("not in that room"));
      void Promise.resolve(socket.leave(roomKey(room))).then(() => {
        presence.schedule(room);
        reply({ ok: true });
      });
    });

    socket.on("room:message", (name, text, ack) => {
      if (typeof ack !== "function") return;
      const room = normalizeRoomName(name);
      const body = normalizeMessageText(text);
      if (!room || !socket.rooms.has(roomKey(room))) return ack(refuse("join the room first"));
      if (!body) return ack(refuse("messages are 1-2000 characters"));
      const message = { id: randomUUID(), room, from: user, text: body, at: Date.now() };
      // Everyone in the room but the sender: the sender's page already shows the message.
      socket.to(roomKey(room)).emit("room:message", message);
      ack({ ok: true, id: message.id, at: message.at });
    });

    socket.on("dm:send", (to, text, ack) => {
      if (typeof ack !== "function") return;
      const body = normalizeMessageText(text);
      // A chat room key is also a valid target for `io.to`; only a socket id may be one here.
      if (typeof to !== "string" || to.length === 0 || to.startsWith(ROOM_PREFIX)) return ack(refuse("unknown user"));
      if (!body) return ack(refuse("messages are 1-2000 characters"));
      void findUser(io, to, log).then(
        (recipient) => {
          if (!recipient) return ack(refuse("that user is offline"));
          const message = { id: randomUUID(), from: user, to: recipient, text: body, at: Date.now() };
          io.to(recipient.id).emit("dm:message", message);
          ack({ ok: true, message });
        },
        (err: Error) => {
          log(`direct message lookup failed: ${err.message}`);
          ack(refuse("could not reach that user, try again"));
        },
      );
    });

    socket.on("typing", (name, typing) => {
      const room = normalizeRoomName(name);
      if (!room || !socket.rooms.has(roomKey(room))) return;
      // Volatile: a typing hint that arrives late is worse than none, so congested sockets just skip it.
      socket.volatile.to(roomKey(room)).emit("typing", { room, user, typing: typing === true });
    });

    // Rooms are already empty by the time "disconnect" fires, so remember them here.
    let roomsAtDisconnect: string[] = [];
    socket.on("disconnecting", () => {
      roomsAtDisconnect = chatRooms(socket);
    });
    socket.on("disconnect", () => {
      for (const room of roomsAtDisconnect) presence.schedule(room);
    });
  });

  async function joinRoom(socket: ChatSocket, room: string): Promise<Reply<{ users: ChatUser[] }>> {
    await socket.join(roomKey(room));
    const users = await presence.usersIn(room);
    // The first member of a room nobody has seen before tells everyone it exists.
    if (users.length === 1 && !(DEFAULT_ROOMS as readonly string[]).includes(room)) io.emit("room:created", room);
    presence.schedule(room);
    return { ok: true, users };
  }

  return () => presence.close();
}

/** The default rooms plus every room that has a member on any node, with member counts. */
async function listRooms(io: ChatServer, log: (message: string) => void): Promise<RoomSummary[]> {
  const counts = new Map<string, number>(DEFAULT_ROOMS.map((name) => [name, 0]));
  for (const socket of await reachableSockets(() => io.fetchSockets(), log)) {
    for (const key of socket.rooms) {
      if (key.startsWith(ROOM_PREFIX)) {
        const name = key.slice(ROOM_PREFIX.length);
        counts.set(name, (counts.get(name) ?? 0) + 1);
      }
    }
  }
  return [...counts].map(([name, members]) => ({ name, members })).sort((a, b) => a.name.localeCompare(b.name));
}

async function findUser(io: ChatServer, socketId: string, log: (message: string) => void): Promise<ChatUser | undefined> {
  const sockets = await reachableSockets(() => io.in(socketId).fetchSockets(), log);
  const target = sockets.find((s) => s.id === socketId);
  return (target?.data as { user?: ChatUser } | undefined)?.user;
}

function chatRooms(socket: ChatSocket): string[] {
  const rooms: string[] = [];
  for (const key of socket.rooms) if (key.startsWith(ROOM_PREFIX)) rooms.push(key.slice(ROOM_PREFIX.length));
  return rooms;
}

function chatRoomCount(socket: ChatSocket): number {
  return chatRooms(socket).length;
}

function refuse(error: string): { ok: false; error: string } {
  return { ok: false, error };
}
