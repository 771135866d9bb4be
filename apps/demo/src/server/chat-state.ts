import type { ChatUser, DirectMessage, PresenceState, RoomMessage } from "../shared/chat-events.js";

/** What the chat knows of one person beyond their sockets: enough to list them while they are away. */
export interface UserRecord {
  user: ChatUser;
  /** The socket that speaks for the user now: the drop of an older one must not mark them away. */
  socketId: string;
  state: PresenceState;
  /** When the node serving the user last wrote this record (ms since the epoch). */
  seenAt: number;
}

/**
 * The chat's shared state: nickname claims, who is online or away, room membership and history.
 * In memory on one node (memory-chat-state.ts); in Redis for a cluster (redis-chat-state.ts), so
 * every node sees the same names, presence and history. Every entry that belongs to a person
 * expires on its own, so a node that dies without cleaning up leaves nothing behind for long.
 */
export interface ChatState {
  /**
   * Claims `nickname` for `userId` for `ttlMs`, or extends the claim `userId` already holds.
   * Resolves false when another user holds it. Names compare with `nicknameKey` (case ignored).
   */
  claimNickname(nickname: string, userId: string, ttlMs: number): Promise<boolean>;
  /** Gives the name up, if `userId` holds it. */
  releaseNickname(nickname: string, userId: string): Promise<void>;

  /** Writes (or refreshes) a user's record; it disappears after `ttlMs` unless written again. */
  saveUser(record: UserRecord, ttlMs: number): Promise<void>;
  /**
   * Marks the user away for `ttlMs`, if `socketId` still speaks for them and nothing wrote the
   * record after `at` (a page that already resumed on another node keeps its socket id).
   */
  markAway(userId: string, socketId: string, at: number, ttlMs: number): Promise<boolean>;
  /** Forgets the user at once, if `socketId` still speaks for them. */
  forgetUser(userId: string, socketId: string): Promise<boolean>;
  /** The records of `ids` that still exist. */
  users(ids: string[]): Promise<Map<string, UserRecord>>;

  /** Adds `userId` to the room's members (and the room to the list of rooms). */
  addMember(room: string, userId: string): Promise<void>;
  removeMember(room: string, userId: string): Promise<void>;
  /** Everyone listed in the room, whether or not their record still exists. */
  members(room: string): Promise<string[]>;
  /** Every room that has members, with their count. */
  rooms(): Promise<Array<{ name: string; members: number }>>;

  /** Appends to the room's history, giving the message its `seq`; history keeps the last `HISTORY_LENGTH`. */
  appendMessage(message: Omit<RoomMessage, "seq">): Promise<RoomMessage>;
  /** The room's last `HISTORY_LENGTH` messages, oldest first. */
  history(room: string): Promise<RoomMessage[]>;

  /**
   * Keeps a direct message for its recipient (`message.to.id`) until their page says it showed
   * it (`takeDirect`), so that one no page received (the recipient came back with a fresh
   * session) can be sent again. Resolves false, keeping nothing, when `max` messages already wait
   * for that recipient. What waits for a recipient expires `ttlMs` after the last one was kept.
   */
  keepDirect(message: DirectMessage, max: number, ttlMs: number): Promise<boolean>;
  /** The direct messages waiting for `userId`'s page, oldest first. */
  undeliveredDirects(userId: string): Promise<DirectMessage[]>;
  /** `userId`'s page showed message `id`: removes it and returns it, or undefined when it was not waiting. */
  takeDirect(userId: string, id: string): Promise<DirectMessage | undefined>;

  close(): Promise<void>;
}
