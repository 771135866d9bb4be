import type { Redis } from "ioredis";
import { HISTORY_LENGTH, type DirectMessage, type RoomMessage } from "../shared/chat-events.js";
import { nicknameKey } from "../shared/chat-rules.js";
import type { ChatState, UserRecord } from "./chat-state.js";

/** Room histories and member sets of rooms nobody writes to any more go after a week. */
const ROOM_TTL_MS = 7 * 24 * 3600 * 1000;

// SET NX with a TTL, except that the holder itself may extend its claim.
const CLAIM = `
local holder = redis.call('GET', KEYS[1])
if not holder then redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2]) return 1 end
if holder == ARGV[1] then redis.call('PEXPIRE', KEYS[1], ARGV[2]) return 1 end
return 0`;

const RELEASE = `if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('DEL', KEYS[1]) end return 0`;

// The record changes only while the same socket speaks for the user (compare-and-set).
const MARK_AWAY = `
local raw = redis.call('GET', KEYS[1])
if not raw then return 0 end
local record = cjson.decode(raw)
if record.socketId ~= ARGV[1] or record.seenAt > tonumber(ARGV[3]) then return 0 end
record.state = 'away'
redis.call('SET', KEYS[1], cjson.encode(record), 'PX', ARGV[2])
return 1`;

const FORGET = `
local raw = redis.call('GET', KEYS[1])
if not raw then return 0 end
if cjson.decode(raw).socketId ~= ARGV[1] then return 0 end
redis.call('DEL', KEYS[1])
return 1`;

// Numbering and appending in one step, so the list order is the seq order on every node.
// Stored as "<seq>:<json>" so the JSON (with its millisecond times) passes through untouched.
const APPEND = `
local seq = redis.call('INCR', KEYS[2])
redis.call('LPUSH', KEYS[1], seq .. ':' .. ARGV[1])
redis.call('LTRIM', KEYS[1], 0, tonumber(ARGV[2]) - 1)
redis.call('PEXPIRE', KEYS[1], ARGV[3])
redis.call('PEXPIRE', KEYS[2], ARGV[3])
return seq`;

// Bounded: past ARGV[3] waiting messages the new one is refused, and the sender told.
const KEEP_DIRECT = `
if redis.call('HLEN', KEYS[1]) >= tonumber(ARGV[3]) then return 0 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('PEXPIRE', KEYS[1], ARGV[4])
return 1`;

const TAKE_DIRECT = `
local raw = redis.call('HGET', KEYS[1], ARGV[1])
if raw then redis.call('HDEL', KEYS[1], ARGV[1]) end
return raw`;

/**
 * ChatState in Redis, shared by every node of the cluster. Keys, all under `prefix`:
 * `nick:<name>` (claim, user id), `user:<id>` (JSON record), `members:<room>` (set of user ids),
 * `rooms` (set of room names), `history:<room>` (list, newest first), `seq:<room>` (counter),
 * `direct:<user id>` (hash: message id -> JSON of a direct message waiting for that user's page).
 */
export class RedisChatState implements ChatState {
  constructor(
    private readonly redis: Redis,
    private readonly prefix = "demo:",
  ) {}

  async claimNickname(nickname: string, userId: string, ttlMs: number): Promise<boolean> {
    return (await this.redis.eval(CLAIM, 1, this.key("nick", nicknameKey(nickname)), userId, ttlMs)) === 1;
  }

  async releaseNickname(nickname: string, userId: string): Promise<void> {
    await this.redis.eval(RELEASE, 1, this.key("nick", nicknameKey(nickname)), userId);
  }

  async saveUser(record: UserRecord, ttlMs: number): Promise<void> {
    await this.redis.set(this.key("user", record.user.id), JSON.stringify(record), "PX", ttlMs);
  }

  async markAway(userId: string, socketId: string, at: number, ttlMs: number): Promise<boolean> {
    return (await this.redis.eval(MARK_AWAY, 1, this.key("user", userId), socketId, ttlMs, at)) === 1;
  }

  async forgetUser(userId: string, socketId: string): Promise<boolean> {
    return (await this.redis.eval(FORGET, 1, this.key("user", userId), socketId)) === 1;
  }

  async users(ids: string[]): Promise<Map<string, UserRecord>> {
    const found = new Map<string, UserRecord>();
    if (ids.length === 0) return found;
    const raws = await this.redis.mget(ids.map((id) => this.key("user", id)));
    raws.forEach((raw, i) => {
      if (raw) found.set(ids[i], JSON.parse(raw) as UserRecord);
    });
    return found;
  }

  async addMember(room: string, userId: string): Promise<void> {
    await this.redis
      .multi()
      .sadd(this.key("members", room), userId)
      .pexpire(this.key("members", room), ROOM_TTL_MS)
      .sadd(this.key("rooms"), room)
      .exec();
  }

  async removeMember(room: string, userId: string): Promise<void> {
    await this.redis.srem(this.key("members", room), userId);
  }

  async members(room: string): Promise<string[]> {
    return this.redis.smembers(this.key("members", room));
  }

  async rooms(): Promise<Array<{ name: string; members: number }>> {
    const names = await this.redis.smembers(this.key("rooms"));
    if (names.length === 0) return [];
    const pipeline = this.redis.pipeline();
    for (const name of names) pipeline.scard(this.key("members", name));
    const counts = (await pipeline.exec()) ?? [];
    const rooms = names.map((name, i) => ({ name, members: Number(counts[i]?.[1] ?? 0) }));
    // A room whose member set expired or emptied is no longer listed.
    const empty = rooms.filter((room) => room.members === 0).map((room) => room.name);
    if (empty.length > 0) await this.redis.srem(this.key("rooms"), ...empty);
    return rooms.filter((room) => room.members > 0);
  }

  async appendMessage(message: Omit<RoomMessage, "seq">): Promise<RoomMessage> {
    const seq = Number(
      await this.redis.eval(APPEND, 2, this.key("history", message.room), this.key("seq", message.room), JSON.stringify(message), HISTORY_LENGTH, ROOM_TTL_MS),
    );
    return { ...message, seq };
  }

  async history(room: string): Promise<RoomMessage[]> {
    const entries = await this.redis.lrange(this.key("history", room), 0, HISTORY_LENGTH - 1);
    return entries.reverse().map((entry) => {
      const colon = entry.indexOf(":");
      return { ...(JSON.parse(entry.slice(colon + 1)) as Omit<RoomMessage, "seq">), seq: Number(entry.slice(0, colon)) };
    });
  }

  async keepDirect(message: DirectMessage, max: number, ttlMs: number): Promise<boolean> {
    return (await this.redis.eval(KEEP_DIRECT, 1, this.key("direct", message.to.id), message.id, JSON.stringify(message), max, ttlMs)) === 1;
  }

  async undeliveredDirects(userId: string): Promise<DirectMessage[]> {
    const raws = Object.values(await this.redis.hgetall(this.key("direct", userId)));
    // A hash has no order: oldest first by server time (ids break ties, as on every node).
    return raws.map((raw) => JSON.parse(raw) as DirectMessage).sort((a, b) => a.at - b.at || a.id.localeCompare(b.id));
  }

  async takeDirect(userId: string, id: string): Promise<DirectMessage | undefined> {
    const raw = (await this.redis.eval(TAKE_DIRECT, 1, this.key("direct", userId), id)) as string | null;
    return raw ? (JSON.parse(raw) as DirectMessage) : undefined;
  }

  /** The connection belongs to the caller (it is the adapter's publisher), so nothing to close here. */
  async close(): Promise<void> {}

  private key(...parts: string[]): string {
    return this.prefix + parts.join(":");
  }
}
