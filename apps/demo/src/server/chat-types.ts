import type { Server, Socket } from "@roomcast/core";
import type { ChatUser, ClientToServerEvents, ServerToClientEvents } from "../shared/chat-events.js";

/** What the server keeps on each socket; travels with `fetchSockets` results and recovered sessions. */
export interface ChatSocketData {
  user: ChatUser;
}

// No server-to-server events: presence and messages all go through rooms.
type InterServerEvents = Record<string, never>;

export type ChatServer = Server<ClientToServerEvents, ServerToClientEvents, InterServerEvents, ChatSocketData>;
export type ChatSocket = Socket<ClientToServerEvents, ServerToClientEvents, InterServerEvents, ChatSocketData>;

/** Chat rooms live under a prefix so a room name can never collide with a socket id (every socket is a room of its own). */
export const ROOM_PREFIX = "room:";
/** Each user's sockets sit in `user:<id>`: direct messages and receipts go there, so recovery replays them. */
export const USER_PREFIX = "user:";

export function roomKey(name: string): string {
  return ROOM_PREFIX + name;
}

export function userRoom(userId: string): string {
  return USER_PREFIX + userId;
}

/** How long a dropped page keeps its session (connection-state recovery), its name and its place in rooms. */
export const RECOVERY_WINDOW_MS = 120_000;
