import type { Reply } from "../shared/chat-events.js";
import type { ChatState } from "./chat-state.js";
import { ROOM_PREFIX, type ChatServer, type ChatSocket } from "./chat-types.js";
import type { Presence } from "./presence.js";

/** What every handler module gets. */
export interface ChatContext {
  io: ChatServer;
  state: ChatState;
  presence: Presence;
  log: (message: string) => void;
}

/** The chat rooms (names, without prefix) `socket` is in. */
export function chatRooms(socket: ChatSocket): string[] {
  const rooms: string[] = [];
  for (const key of socket.rooms) if (key.startsWith(ROOM_PREFIX)) rooms.push(key.slice(ROOM_PREFIX.length));
  return rooms;
}

export function refuse(error: string): { ok: false; error: string } {
  return { ok: false, error };
}

/** Calls `ack` if the client sent one: handlers never trust a peer to. */
export function replier<T extends object>(ack: unknown): (reply: Reply<T>) => void {
  return (reply) => {
    if (typeof ack === "function") (ack as (reply: Reply<T>) => void)(reply);
  };
}
