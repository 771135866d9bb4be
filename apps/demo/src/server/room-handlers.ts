import { randomUUID } from "node:crypto";
import type { Member, Reply, RoomMessage, RoomSummary } from "../shared/chat-events.js";
import { DEFAULT_ROOMS, MAX_ROOMS_PER_USER, normalizeMessageText, normalizeRoomName } from "../shared/chat-rules.js";
import { chatRooms, refuse, replier, type ChatContext } from "./chat-context.js";
import { roomKey, type ChatSocket } from "./chat-types.js";

type JoinReply = Reply<{ users: Member[]; history: RoomMessage[] }>;

/** Rooms: list, join (with the room's history and members), leave, messages and typing hints. */
export function attachRoomHandlers(context: ChatContext, socket: ChatSocket): void {
  const { io, state, presence, log } = context;

  socket.on("room:list", (ack) => {
    const reply = (rooms: RoomSummary[]) => typeof ack === "function" && ack(rooms);
    listRooms(context).then(reply, (err: Error) => {
      log(`room list failed: ${err.message}`);
      reply(DEFAULT_ROOMS.map((name) => ({ name, members: 0 })));
    });
  });

  // Also what a fresh session sends for the rooms it is already in: the history fills the gap.
  socket.on("room:join", (name, ack) => {
    const reply = replier<{ users: Member[]; history: RoomMessage[] }>(ack);
    const room = normalizeRoomName(name);
    if (!room) return reply(refuse("room names are 1-32 characters: a-z, 0-9, '_' and '-'"));
    if (!socket.rooms.has(roomKey(room)) && chatRooms(socket).length >= MAX_ROOMS_PER_USER) {
      return reply(refuse(`you can be in at most ${MAX_ROOMS_PER_USER} rooms`));
    }
    joinRoom(room).then(reply, (err: Error) => {
      log(`join ${room} failed: ${err.message}`);
      reply(refuse("could not join just now, try again"));
    });
  });

  socket.on("room:leave", (name, ack) => {
    const reply = replier(ack);
    const room = normalizeRoomName(name);
    if (!room || !socket.rooms.has(roomKey(room))) return reply(refuse("not in that room"));
    void Promise.resolve(socket.leave(roomKey(room)))
      .then(() => state.removeMember(room, socket.data.user.id))
      .catch((err: Error) => log(`leave ${room}: ${err.message}`))
      .finally(() => {
        presence.schedule(room);
        reply({ ok: true });
      });
  });

  socket.on("room:message", (name, text, ack) => {
    const reply = replier<{ id: string; seq: number; at: number }>(ack);
    const room = normalizeRoomName(name);
    const body = normalizeMessageText(text);
    if (!room || !socket.rooms.has(roomKey(room))) return reply(refuse("you are not in that room any more: join it again"));
    if (!body) return reply(refuse("messages are 1-2000 characters"));
    // Kept first, then sent: a page joining meanwhile finds it either in the history or live.
    state.appendMessage({ id: randomUUID(), room, from: socket.data.user, text: body, at: Date.now() }).then(
      (message) => {
        // Everyone in the room but the sender: the sender's page already shows the message.
        socket.to(roomKey(room)).emit("room:message", message);
        reply({ ok: true, id: message.id, seq: message.seq, at: message.at });
      },
      (err: Error) => {
        log(`message to ${room} not kept: ${err.message}`);
        reply(refuse("the server could not keep it just now"));
      },
    );
  });

  socket.on("typing", (name, typing) => {
    const room = normalizeRoomName(name);
    if (!room || !socket.rooms.has(roomKey(room))) return;
    // Volatile: a typing hint that arrives late is worse than none, so congested sockets just skip it.
    socket.volatile.to(roomKey(room)).emit("typing", { room, user: socket.data.user, typing: typing === true });
  });

  async function joinRoom(room: string): Promise<JoinReply> {
    // Joined before the history is read: whatever is sent from here on arrives live, and the page
    // drops the live copies of what the history already holds (by seq).
    await socket.join(roomKey(room));
    await state.addMember(room, socket.data.user.id);
    const [users, history] = await Promise.all([presence.membersOf(room), state.history(room)]);
    // The first member of a room nobody has seen before tells everyone it exists.
    if (users.length === 1 && !(DEFAULT_ROOMS as readonly string[]).includes(room)) io.emit("room:created", room);
    presence.schedule(room);
    return { ok: true, users, history };
  }
}

/** The default rooms plus every room that has members on any node, with member counts. */
async function listRooms({ state }: ChatContext): Promise<RoomSummary[]> {
  const counts = new Map<string, number>(DEFAULT_ROOMS.map((name) => [name, 0]));
  for (const room of await state.rooms()) counts.set(room.name, room.members);
  return [...counts].map(([name, members]) => ({ name, members })).sort((a, b) => a.name.localeCompare(b.name));
}
