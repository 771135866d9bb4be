/**
 * The chat's events, shared by the server and the browser so both sides agree on every payload.
 * Server-side handlers must still validate what arrives: a peer can send anything.
 */

/** A connected user as others see them; `id` is the socket id, usable as a direct-message target. */
export interface ChatUser {
  id: string;
  nickname: string;
  color: string;
}

/** What the browser offers in its handshake `auth`. */
export interface ChatCredentials {
  nickname: string;
  color: string;
}

/** A room message as delivered to the other members of the room. */
export interface RoomMessage {
  id: string;
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

/** Everyone currently in `room`, on any node. */
export interface PresenceUpdate {
  room: string;
  users: ChatUser[];
}

export interface TypingUpdate {
  room: string;
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
  presence: (update: PresenceUpdate) => void;
  typing: (update: TypingUpdate) => void;
}

export interface ClientToServerEvents {
  "room:list": (ack: (rooms: RoomSummary[]) => void) => void;
  "room:join": (room: string, ack: (reply: Reply<{ users: ChatUser[] }>) => void) => void;
  "room:leave": (room: string, ack: (reply: Reply) => void) => void;
  "room:message": (room: string, text: string, ack: (reply: Reply<{ id: string; at: number }>) => void) => void;
  "dm:send": (to: string, text: string, ack: (reply: Reply<{ message: DirectMessage }>) => void) => void;
  typing: (room: string, typing: boolean) => void;
}

/** Error `data` of the connect_error the server sends when it refuses the handshake credentials. */
export interface CredentialsRejection {
  code: "INVALID_CREDENTIALS";
  field: "nickname" | "color";
  reason: string;
}
