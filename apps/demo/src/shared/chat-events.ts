/**
 * The chat's events, shared by the server and the browser so both sides agree on every payload.
 * Server-side handlers must still validate what arrives: a peer can send anything.
 */

/**
 * A person as others see them. `id` is stable for as long as the tab lives (derived from the
 * tab's secret key, see server/identity.ts), so it survives reconnects and fresh sessions on
 * another node; direct messages are addressed to it.
 */
export interface ChatUser {
  id: string;
  nickname: string;
  color: string;
}

/**
 * Where a person is: connected now, or away inside the recovery window (their page dropped and
 * may come back; what is sent to them meanwhile is replayed when it does). Gone people are not listed.
 */
export type PresenceState = "online" | "away";

export interface Member extends ChatUser {
  state: PresenceState;
}

/** What the browser offers in its handshake `auth`. */
export interface ChatCredentials {
  nickname: string;
  color: string;
}

/** The whole handshake `auth`: who the tab is, its secret key, and the rooms it wants to be in. */
export interface ChatAuth extends ChatCredentials {
  /** A random secret kept by the tab; the server derives the user id from it. */
  key: string;
  /** Rooms to be in from the first moment of the session, so queued messages find them joined. */
  rooms?: string[];
}

/** A room message as delivered to the other members of the room and kept in its history. */
export interface RoomMessage {
  id: string;
  /** Position in the room's history: grows by one per message, in the order history keeps. */
  seq: number;
  room: string;
  from: ChatUser;
  text: string;
  /** Server time, milliseconds since the epoch. */
  at: number;
}

/** A message to one user. */
export interface DirectMessage {
  id: string;
  from: ChatUser;
  to: ChatUser;
  text: string;
  at: number;
}

/** The recipient's page has shown a direct message: told to its sender. */
export interface DirectReceipt {
  id: string;
  by: ChatUser;
}

/** Everyone in `room`, on any node, online or away. */
export interface PresenceUpdate {
  room: string;
  users: Member[];
}

/** Someone is typing (or stopped): in `room`, or, when `room` is null, to you in a direct conversation. */
export interface TypingUpdate {
  room: string | null;
  user: ChatUser;
  typing: boolean;
}

/** Sent once per connection so the page can show who it is and which node serves it. */
export interface SessionInfo {
  user: ChatUser;
  nodeId: string;
}

export interface RoomSummary {
  name: string;
  members: number;
}

/** Every reply to a request is either ok with its value or a short, user-readable error. */
export type Reply<T = object> = ({ ok: true } & T) | { ok: false; error: string };

export interface ServerToClientEvents {
  session: (info: SessionInfo) => void;
  "room:message": (message: RoomMessage) => void;
  "room:created": (room: string) => void;
  "dm:message": (message: DirectMessage) => void;
  /**
   * Right after a connection: the direct messages sent to this person that no page of theirs
   * has confirmed yet (oldest first), as the server kept them. Some may already be shown.
   */
  "dm:undelivered": (messages: DirectMessage[]) => void;
  "dm:delivered": (receipt: DirectReceipt) => void;
  presence: (update: PresenceUpdate) => void;
  typing: (update: TypingUpdate) => void;
}

export interface ClientToServerEvents {
  "room:list": (ack: (rooms: RoomSummary[]) => void) => void;
  "room:join": (room: string, ack: (reply: Reply<{ users: Member[]; history: RoomMessage[] }>) => void) => void;
  "room:history": (room: string, ack: (reply: Reply<{ users: Member[]; history: RoomMessage[] }>) => void) => void;
  "room:leave": (room: string, ack: (reply: Reply) => void) => void;
  "room:message": (room: string, text: string, ack: (reply: Reply<{ id: string; seq: number; at: number }>) => void) => void;
  "dm:send": (to: string, text: string, ack: (reply: Reply<{ message: DirectMessage; recipient: PresenceState }>) => void) => void;
  "dm:receipt": (id: string, from: string, ack: (reply: Reply) => void) => void;
  "profile:update": (profile: ChatCredentials, ack: (reply: Reply<{ user: ChatUser }>) => void) => void;
  typing: (room: string, typing: boolean) => void;
  /** Typing to the person `to` (a user id) in a direct conversation. */
  "dm:typing": (to: string, typing: boolean) => void;
}

/** Error `data` of the connect_error the server sends when it refuses the handshake credentials. */
export interface CredentialsRejection {
  code: "INVALID_CREDENTIALS";
  field: "nickname" | "color" | "key";
  reason: string;
}

/** Messages a room keeps and a page is shown when it joins. */
export const HISTORY_LENGTH = 50;
