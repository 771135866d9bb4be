import type { ChatUser, DirectMessage, Member, PresenceState, RoomMessage } from "../shared/chat-events.js";

/** Older entries are dropped past this, so a long-open tab does not grow without bound. */
const MAX_ENTRIES_PER_CONVERSATION = 500;
const MAX_DIRECT_CONVERSATIONS = 50;

/** `room:<name>` for a room, `dm:<user id>` for a direct conversation. */
export type ConversationKey = string;

/**
 * Where a message of ours is: waiting for the connection (`queued`), out and waiting for the
 * server (`sending`), taken by the server but not yet shown to its one recipient (`sent`, direct
 * messages only), with everyone it was for (`delivered`), or given up (`failed`, with a reason).
 * Everyone else's messages are `received`.
 */
export type DeliveryStatus = "queued" | "sending" | "sent" | "delivered" | "failed" | "received";

/** One line of a timeline: someone else's message, or one of ours with its delivery status. */
export interface TimelineEntry {
  /** The server's id once known; a local one before. */
  id: string;
  /** Position in a room's history, once the server has kept the message. */
  seq?: number;
  from: ChatUser;
  text: string;
  at: number;
  status: DeliveryStatus;
  /** Why it failed, in words; or, for `sent`, what it is waiting for. */
  note?: string;
}

export interface Conversation {
  key: ConversationKey;
  kind: "room" | "dm";
  /** Room name, or the other user's nickname. */
  title: string;
  /** For a direct conversation: who it is with. */
  peer?: ChatUser;
  /** For a room: whether we are a member (or on our way in). */
  joined: boolean;
  entries: TimelineEntry[];
  unread: number;
  /** For a room: its members on every node, as last announced. */
  users: Member[];
  /** For a room: the highest seq its history has shown; live copies of older messages are skipped. */
  historySeq: number;
}

export type StoreChange =
  | { type: "conversations" }
  | { type: "active"; key: ConversationKey | null }
  | { type: "entries"; key: ConversationKey }
  | { type: "users"; key: ConversationKey }
  | { type: "self" };

type Listener = (change: StoreChange) => void;

export const roomConversation = (room: string): ConversationKey => `room:${room}`;
export const directConversation = (userId: string): ConversationKey => `dm:${userId}`;

/**
 * Everything the page shows, in one place; the UI components subscribe to it and render. Only
 * the socket handlers and user actions write to it.
 */
export class ChatStore {
  readonly conversations = new Map<ConversationKey, Conversation>();
  activeKey: ConversationKey | null = null;
  self: ChatUser | null = null;
  nodeId: string | null = null;
  socketId: string | null = null;
  private readonly listeners = new Set<Listener>();

  subscribe(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  get active(): Conversation | undefined {
    return this.activeKey ? this.conversations.get(this.activeKey) : undefined;
  }

  setSession(user: ChatUser, nodeId: string | null, socketId: string | null): void {
    this.self = user;
    this.nodeId = nodeId;
    this.socketId = socketId;
    this.emit({ type: "self" });
  }

  /** Adds rooms we heard of; existing ones keep their state. */
  knowRooms(rooms: string[]): void {
    let added = false;
    for (const room of rooms) {
      const key = roomConversation(room);
      if (this.conversations.has(key)) continue;
      this.conversations.set(key, newConversation(key, "room", room));
      added = true;
    }
    if (added) this.emit({ type: "conversations" });
  }

  setJoined(room: string, joined: boolean): void {
    this.knowRooms([room]);
    const conversation = this.conversations.get(roomConversation(room))!;
    conversation.joined = joined;
    if (!joined) {
      conversation.users = [];
      conversation.entries = [];
      conversation.historySeq = 0;
    }
    this.emit({ type: "conversations" });
    this.emit({ type: "users", key: conversation.key });
    this.emit({ type: "entries", key: conversation.key });
  }

  joinedRooms(): string[] {
    return [...this.conversations.values()].filter((c) => c.kind === "room" && c.joined).map((c) => c.title);
  }

  open(key: ConversationKey): void {
    const conversation = this.conversations.get(key);
    if (!conversation) return;
    this.activeKey = key;
    conversation.unread = 0;
    this.emit({ type: "active", key });
    this.emit({ type: "conversations" });
  }

  /** Starts (or reopens) a direct conversation with `peer`. */
  openDirect(peer: ChatUser): void {
    this.directWith(peer);
    this.open(directConversation(peer.id));
  }

  setUsers(room: string, users: Member[]): void {
    const conversation = this.conversations.get(roomConversation(room));
    if (!conversation || !conversation.joined) return;
    conversation.users = users;
    for (const user of users) this.updatePeer(user);
    this.emit({ type: "users", key: conversation.key });
    this.emit({ type: "conversations" });
  }

  /**
   * Where `userId` is, as the rooms we share last said; undefined when we share none (the page
   * then cannot tell, and shows no indicator).
   */
  presenceOf(userId: string): PresenceState | undefined {
    let state: PresenceState | undefined;
    for (const conversation of this.conversations.values()) {
      const member = conversation.users.find((user) => user.id === userId);
      if (member?.state === "online") return "online";
      if (member) state = member.state;
    }
    return state;
  }

  /**
   * Shows a room's history: its last messages as the server keeps them, then whatever this page
   * has that the history does not hold yet (newer live messages, our own still on their way).
   * Returns how many of them are someone else's and newer than `since` (what a gap missed).
   */
  applyHistory(room: string, history: RoomMessage[], since = Infinity): number {
    const conversation = this.conversations.get(roomConversation(room));
    if (!conversation) return 0;
    const first = history.length ? history[0].seq : Infinity;
    const last = history.length ? history[history.length - 1].seq : 0;
    const entries = conversation.entries;
    // Kept around the history: what is older than all of it (the page saw more than the server
    // keeps, or the server forgot), and what is newer or still ours to send.
    const older = history.length ? entries.filter((entry) => entry.seq !== undefined && entry.seq < first) : [];
    const newer = entries.filter((entry) => (entry.seq === undefined ? entry.status !== "received" : entry.seq > last));
    const selfId = this.self?.id;
    const shown = history.map((m) => entryOf(m, m.from.id === selfId ? "delivered" : "received"));
    conversation.entries = [...older, ...shown, ...newer].slice(-MAX_ENTRIES_PER_CONVERSATION);
    conversation.historySeq = last;
    this.emit({ type: "entries", key: conversation.key });
    return history.filter((m) => m.at > since && m.from.id !== selfId).length;
  }

  /** A live room message; false when the room is not ours or its history already showed it. */
  addRoomMessage(message: RoomMessage): boolean {
    const conversation = this.conversations.get(roomConversation(message.room));
    if (!conversation || !conversation.joined || message.seq <= conversation.historySeq) return false;
    this.append(conversation, entryOf(message, "received"));
    return true;
  }

  /**
   * A direct message to us; false when this page already shows it (the server sends one again
   * until our receipt reaches it, and a recovered session may have had it replayed too).
   */
  addDirectMessage(message: DirectMessage): boolean {
    const conversation = this.directWith(message.from);
    if (conversation.entries.some((entry) => entry.id === message.id)) return false;
    this.append(conversation, entryOf(message, "received"));
    return true;
  }

  /** Shows a message of ours at once, before the server has it; `update` later records its fate. */
  addOwn(key: ConversationKey, localId: string, text: string, status: "queued" | "sending"): void {
    const conversation = this.conversations.get(key);
    if (!conversation || !this.self) return;
    this.append(conversation, { id: localId, from: this.self, text, at: Date.now(), status });
  }

  /** Changes one of our entries (found by its current id). */
  update(key: ConversationKey, id: string, change: Partial<TimelineEntry>): void {
    const entry = this.find(key, id);
    if (!entry) return;
    Object.assign(entry, change);
    if (change.status !== "failed") delete entry.note;
    if (change.note) entry.note = change.note;
    if (change.seq !== undefined) this.placeBySeq(this.conversations.get(key)!, entry);
    this.emit({ type: "entries", key });
  }

  find(key: ConversationKey, id: string): TimelineEntry | undefined {
    return this.conversations.get(key)?.entries.find((e) => e.id === id);
  }

  remove(key: ConversationKey, id: string): void {
    const conversation = this.conversations.get(key);
    if (!conversation) return;
    conversation.entries = conversation.entries.filter((e) => e.id !== id);
    this.emit({ type: "entries", key });
  }

  /** Our entries in `status`, in every conversation. */
  ownEntries(status: DeliveryStatus): Array<{ key: ConversationKey; entry: TimelineEntry }> {
    const found: Array<{ key: ConversationKey; entry: TimelineEntry }> = [];
    for (const conversation of this.conversations.values()) {
      for (const entry of conversation.entries) if (entry.status === status) found.push({ key: conversation.key, entry });
    }
    return found;
  }

  /**
   * Moves a message of ours that the server just numbered to where the room has it: a message
   * written offline goes out after the ones that arrived meanwhile, and is shown in that order.
   */
  private placeBySeq(conversation: Conversation, entry: TimelineEntry): void {
    const entries = conversation.entries;
    entries.splice(entries.indexOf(entry), 1);
    const after = entries.findIndex((other) => other.seq !== undefined && other.seq > entry.seq!);
    const firstPending = entries.findIndex((other) => other.seq === undefined && other.status !== "received");
    const at = after !== -1 ? after : firstPending !== -1 ? firstPending : entries.length;
    entries.splice(at, 0, entry);
  }

  private updatePeer(user: ChatUser): void {
    const conversation = this.conversations.get(directConversation(user.id));
    if (conversation?.peer && (conversation.peer.nickname !== user.nickname || conversation.peer.color !== user.color)) {
      conversation.peer = { id: user.id, nickname: user.nickname, color: user.color };
      conversation.title = user.nickname;
    }
  }

  private directWith(peer: ChatUser): Conversation {
    const key = directConversation(peer.id);
    let conversation = this.conversations.get(key);
    if (!conversation) {
      this.dropOldestDirectConversation();
      conversation = newConversation(key, "dm", peer.nickname);
      conversation.peer = { id: peer.id, nickname: peer.nickname, color: peer.color };
      this.conversations.set(key, conversation);
      this.emit({ type: "conversations" });
    }
    return conversation;
  }

  private dropOldestDirectConversation(): void {
    const direct = [...this.conversations.values()].filter((c) => c.kind === "dm" && c.key !== this.activeKey);
    if (direct.length < MAX_DIRECT_CONVERSATIONS) return;
    this.conversations.delete(direct[0].key);
  }

  private append(conversation: Conversation, entry: TimelineEntry): void {
    conversation.entries.push(entry);
    if (conversation.entries.length > MAX_ENTRIES_PER_CONVERSATION) conversation.entries.shift();
    if (conversation.key !== this.activeKey && entry.status === "received") {
      conversation.unread++;
      this.emit({ type: "conversations" });
    }
    this.emit({ type: "entries", key: conversation.key });
  }

  private emit(change: StoreChange): void {
    for (const listener of this.listeners) listener(change);
  }
}

function newConversation(key: ConversationKey, kind: "room" | "dm", title: string): Conversation {
  return { key, kind, title, joined: false, entries: [], unread: 0, users: [], historySeq: 0 };
}

function entryOf(message: RoomMessage | DirectMessage, status: DeliveryStatus): TimelineEntry {
  return { id: message.id, seq: "seq" in message ? message.seq : undefined, from: message.from, text: message.text, at: message.at, status };
}
