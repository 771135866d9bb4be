import { HISTORY_LENGTH, type DirectMessage, type RoomMessage } from "../shared/chat-events.js";
import { nicknameKey } from "../shared/chat-rules.js";
import type { ChatState, UserRecord } from "./chat-state.js";

/** Bounds of what one node keeps; past them the oldest entry goes (rooms, users and claims alike). */
const MAX_ROOMS = 1000;
const MAX_USERS = 10_000;

interface Expiring<T> {
  value: T;
  expiresAt: number;
}

/** ChatState for a single node: plain maps, entries expiring when read past their time. */
export class MemoryChatState implements ChatState {
  private readonly claims = new Map<string, Expiring<string>>();
  private readonly records = new Map<string, Expiring<UserRecord>>();
  private readonly memberSets = new Map<string, Set<string>>();
  private readonly histories = new Map<string, { seq: number; messages: RoomMessage[] }>();
  /** Recipient id -> their waiting direct messages by id. */
  private readonly directs = new Map<string, Expiring<Map<string, DirectMessage>>>();

  /**
   * Where each room's seq starts: the start time in µs, so a restarted node numbers after
   * everything it numbered before and pages never take a new message for one already shown.
   */
  private readonly firstSeq: number;

  constructor(private readonly now: () => number = Date.now) {
    this.firstSeq = now() * 1000;
  }

  async claimNickname(nickname: string, userId: string, ttlMs: number): Promise<boolean> {
    const key = nicknameKey(nickname);
    const holder = this.live(this.claims, key);
    if (holder !== undefined && holder !== userId) return false;
    setBounded(this.claims, key, { value: userId, expiresAt: this.now() + ttlMs }, MAX_USERS);
    return true;
  }

  async releaseNickname(nickname: string, userId: string): Promise<void> {
    const key = nicknameKey(nickname);
    if (this.live(this.claims, key) === userId) this.claims.delete(key);
  }

  async saveUser(record: UserRecord, ttlMs: number): Promise<void> {
    setBounded(this.records, record.user.id, { value: { ...record }, expiresAt: this.now() + ttlMs }, MAX_USERS);
  }

  async markAway(userId: string, socketId: string, at: number, ttlMs: number): Promise<boolean> {
    const record = this.live(this.records, userId);
    if (record?.socketId !== socketId || record.seenAt > at) return false;
    this.records.set(userId, { value: { ...record, state: "away" }, expiresAt: this.now() + ttlMs });
    return true;
  }

  async forgetUser(userId: string, socketId: string): Promise<boolean> {
    if (this.live(this.records, userId)?.socketId !== socketId) return false;
    this.records.delete(userId);
    return true;
  }

  async users(ids: string[]): Promise<Map<string, UserRecord>> {
    const found = new Map<string, UserRecord>();
    for (const id of ids) {
      const record = this.live(this.records, id);
      if (record) found.set(id, { ...record });
    }
    return found;
  }

  async addMember(room: string, userId: string): Promise<void> {
    let members = this.memberSets.get(room);
    if (!members) {
      if (this.memberSets.size >= MAX_ROOMS) this.memberSets.delete(this.memberSets.keys().next().value!);
      this.memberSets.set(room, (members = new Set()));
    }
    members.add(userId);
  }

  async removeMember(room: string, userId: string): Promise<void> {
    const members = this.memberSets.get(room);
    members?.delete(userId);
    if (members?.size === 0) this.memberSets.delete(room);
  }

  async members(room: string): Promise<string[]> {
    return [...(this.memberSets.get(room) ?? [])];
  }

  async rooms(): Promise<Array<{ name: string; members: number }>> {
    return [...this.memberSets].map(([name, members]) => ({ name, members: members.size }));
  }

  async appendMessage(message: Omit<RoomMessage, "seq">): Promise<RoomMessage> {
    let history = this.histories.get(message.room);
    if (!history) {
      if (this.histories.size >= MAX_ROOMS) this.histories.delete(this.histories.keys().next().value!);
      this.histories.set(message.room, (history = { seq: this.firstSeq, messages: [] }));
    }
    const stored = { ...message, seq: ++history.seq };
    history.messages.push(stored);
    if (history.messages.length > HISTORY_LENGTH) history.messages.shift();
    return stored;
  }

  async history(room: string): Promise<RoomMessage[]> {
    return [...(this.histories.get(room)?.messages ?? [])];
  }

  async keepDirect(message: DirectMessage, max: number, ttlMs: number): Promise<boolean> {
    const recipient = message.to.id;
    const waiting = this.live(this.directs, recipient) ?? new Map<string, DirectMessage>();
    if (waiting.size >= max) return false;
    // Refused rather than dropping someone else's: a full node says so to the sender.
    if (!this.directs.has(recipient) && this.directs.size >= MAX_USERS) return false;
    waiting.set(message.id, message);
    this.directs.set(recipient, { value: waiting, expiresAt: this.now() + ttlMs });
    return true;
  }

  async undeliveredDirects(userId: string): Promise<DirectMessage[]> {
    return [...(this.live(this.directs, userId)?.values() ?? [])].sort(oldestFirst);
  }

  async takeDirect(userId: string, id: string): Promise<DirectMessage | undefined> {
    const waiting = this.live(this.directs, userId);
    const message = waiting?.get(id);
    waiting?.delete(id);
    if (waiting?.size === 0) this.directs.delete(userId);
    return message;
  }

  async close(): Promise<void> {}

  private live<T>(map: Map<string, Expiring<T>>, key: string): T | undefined {
    const entry = map.get(key);
    if (!entry) return undefined;
    if (entry.expiresAt > this.now()) return entry.value;
    map.delete(key);
    return undefined;
  }
}

/** By server time; ids break ties, as in the Redis store. */
function oldestFirst(a: DirectMessage, b: DirectMessage): number {
  return a.at - b.at || a.id.localeCompare(b.id);
}

/** Sets `key`, first dropping the oldest entry when the map is full (insertion order is age). */
function setBounded<T>(map: Map<string, T>, key: string, value: T, max: number): void {
  map.delete(key);
  if (map.size >= max) map.delete(map.keys().next().value!);
  map.set(key, value);
}
