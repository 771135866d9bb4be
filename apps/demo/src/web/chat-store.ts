import type { ChatUser, DirectMessage, RoomMessage } from "../shared/chat-events.js";

/** Older entries are dropped past this, so a long-open tab does not grow without bound. */
const MAX_ENTRIES_PER_CONVERSATION = 500;
const MAX_DIRECT_CONVERSATIONS = 50;

/** `room:<name>` for a room, `dm:<socket id>` for a direct conversation. */
export type ConversationKey = string;

export type DeliveryStatus = "sending" | "delivered" | "failed" | "received";

/** One line of a timeline: someone else's message, or one of ours with its delivery status. */
export interface TimelineEntry {
  id: string;
  from: ChatUser;
  text: string;
  at: number;
  status: DeliveryStatus;
  error?: string;
}

export interface Conversation {
  key: ConversationKey;
  kind: "room" | "dm";
  /** Room name, or the other user's nickname. */
  title: string;
  /** For a direct conversation: who it is with. */
  peer?: ChatUser;
  /** For a room: whether we are a member. */
  joined: boolean;
  entries: TimelineEntry[];
  unread: number;
  /** For a room: its members on every node, as last announced. */
  users: ChatUser[];
}

export type StoreChange =
  | { type: "conversations" }
  | { type: "active"; key: ConversationKey | null }
  | { type: "entries"; key: ConversationKey }
  | { type: "users"; key: ConversationKey }
  | { type: "self" };

type Listener = (change: StoreChange) => void;

export const roomConversation = (room: string): ConversationKey => `room:${room}`;
export const directConversation = (socketId: string): ConversationKey => `dm:${socketId}`;

/**
 * Everything the page shows, in one place; the UI components subscribe to it and render. Only
 * the socket handlers in main.ts and user actions write to it.
 */
export class ChatStore {
  readonly conversations = new Map<ConversationKey, Conversation>();
  activeKey: ConversationKey | null = null;
  self: ChatUser | null = null;
  nodeId: string | null = null;
  private readonly listeners = new Set<Listener>();

  subscribe(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  get active(): Conversation | undefined {
    return this.activeKey ? this.conversations.get(this.activeKey) : undefined;
  }

  setSession(user: ChatUser, nodeId: string): void {
    this.self = user;
    this.nodeId = nodeId;
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
    if (!joined) conversation.users = [];
    this.emit({ type: "conversations" });
    this.emit({ type: "users", key: conversation.key });
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

  setUsers(room: string, users: ChatUser[]): void {
    const conversation = this.conversations.get(roomConversation(room));
    if (!conversation || !conversation.joined) return;
    conversation.users = users;
    this.emit({ type: "users", key: conversation.key });
  }

  addRoomMessage(message: RoomMessage): void {
    const key = roomConversation(message.room);
    const conversation = this.conversations.get(key);
    if (!conversation || !conversation.joined) return;
    this.append(conversation, { id: message.id, from: message.from, text: message.text, at: message.at, status: "received" });
  }

  addDirectMessage(message: DirectMessage): void {
    const conversation = this.directWith(message.from);
    this.append(conversation, { id: message.id, from: message.from, text: message.text, at: message.at, status: "received" });
  }

  /** Shows a message of ours at once, before the server has it; `settle` later records the outcome. */
  addOwn(key: ConversationKey, localId: string, text: string): void {
    const conversation = this.conversations.get(key);
    if (!conversation || !this.self) return;
    this.append(conversation, { id: localId, from: this.self, text, at: Date.now(), status: "sending" });
  }

  settle(key: ConversationKey, localId: string, outcome: { id: string; at: number } | { error: string }): void {
    const entry = this.conversations.get(key)?.entries.find((e) => e.id === localId);
    if (!entry) return;
    if ("error" in outcome) {
      entry.status = "failed";
      entry.error = outcome.error;
    } else {
      entry.status = "delivered";
      entry.id = outcome.id;
      entry.at = outcome.at;
    }
    this.emit({ type: "entries", key });
  }

  private directWith(peer: ChatUser): Conversation {
    const key = directConversation(peer.id);
    let conversation = this.conversations.get(key);
    if (!conversation) {
      this.dropOldestDirectConversation();
      conversation = newConversation(key, "dm", peer.nickname);
      conversation.peer = peer;
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
  return { key, kind, title, joined: false, entries: [], unread: 0, users: [] };
}
