import type { ChatUser, Member } from "../shared/chat-events.js";
import type { ChatState, UserRecord } from "./chat-state.js";
import { RECOVERY_WINDOW_MS, ROOM_PREFIX, roomKey, type ChatServer, type ChatSocket } from "./chat-types.js";

/** Joins and leaves in one burst (a page rejoining its rooms, a node restarting) become one update per room. */
const COALESCE_MS = 50;
/** Bounds the timers this node holds; beyond it updates are sent at once instead of coalesced. */
const MAX_PENDING_ROOMS = 1000;

export interface PresenceOptions {
  /**
   * How often this node rewrites the records of the users it serves and re-announces their rooms.
   * An online record not rewritten for two periods belongs to a node that died: its user shows as
   * away; once it is three periods old they are gone. As every node re-announces its rooms once a
   * period, pages see each change within one more period. 0 disables the refresh (tests).
   */
  refreshMs: number;
  log: (message: string) => void;
}

/**
 * Who is online, away or gone, right on every node. Each node writes the records of the users it
 * serves (ChatState, shared through Redis in a cluster); a room's list is always recomputed from
 * its members' records rather than maintained incrementally, so a missed update heals on the next.
 */
export class Presence {
  private readonly pending = new Map<string, NodeJS.Timeout>();
  private readonly refreshTimer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(
    private readonly io: ChatServer,
    private readonly state: ChatState,
    private readonly options: PresenceOptions,
  ) {
    if (options.refreshMs > 0) {
      this.refreshTimer = setInterval(() => void this.refreshLocalUsers(), options.refreshMs);
      this.refreshTimer.unref();
    }
  }

  /** How long an online record lives without being rewritten. */
  get onlineTtlMs(): number {
    return this.options.refreshMs > 0 ? this.options.refreshMs * 3 + 1000 : RECOVERY_WINDOW_MS;
  }

  /** How long a nickname stays claimed without being renewed: while online, and the recovery window after. */
  get claimTtlMs(): number {
    return RECOVERY_WINDOW_MS + this.onlineTtlMs;
  }

  /** Records `socket`'s user as online now, served by it. */
  async online(socket: ChatSocket): Promise<void> {
    const user = socket.data.user;
    await this.state.saveUser({ user, socketId: socket.id, state: "online", seenAt: Date.now() }, this.onlineTtlMs);
  }

  /** Everyone listed in `room` whose record is alive, sorted by nickname; the gone are removed from it. */
  async membersOf(room: string): Promise<Member[]> {
    const ids = await this.state.members(room);
    const records = await this.state.users(ids);
    const now = Date.now();
    const members: Member[] = [];
    for (const id of ids) {
      const record = records.get(id);
      const state = this.stateNow(record, now);
      if (!record || !state) {
        void this.state.removeMember(room, id).catch(() => {});
        continue;
      }
      members.push({ ...record.user, state });
    }
    return members.sort((a, b) => a.nickname.localeCompare(b.nickname) || a.id.localeCompare(b.id));
  }

  /** The user's state as a direct message to them would find it; undefined when they are gone. */
  async stateOf(user: ChatUser["id"]): Promise<{ user: ChatUser; state: Member["state"] } | undefined> {
    const record = (await this.state.users([user])).get(user);
    const state = this.stateNow(record, Date.now());
    return state && record ? { user: record.user, state } : undefined;
  }

  /**
   * What a record says at `now`. An online record whose node stopped rewriting it (the node
   * died) turns away after two periods and gone after three, whatever its TTL still says; an
   * away record (a page that dropped) lasts the recovery window, its TTL.
   */
  private stateNow(record: UserRecord | undefined, now: number): Member["state"] | undefined {
    if (!record) return undefined;
    const period = this.options.refreshMs;
    if (record.state !== "online" || period <= 0) return record.state;
    const age = now - record.seenAt;
    // Half a second of slack: a node's rewrite takes a moment to land.
    if (age >= period * 3 + 500) return undefined;
    return age >= period * 2 + 500 ? "away" : "online";
  }

  /** Announces `room`'s member list soon, once per burst. */
  schedule(room: string): void {
    if (this.closed || this.pending.has(room)) return;
    if (this.pending.size >= MAX_PENDING_ROOMS) {
      void this.announce(room);
      return;
    }
    const timer = setTimeout(() => {
      this.pending.delete(room);
      void this.announce(room);
    }, COALESCE_MS);
    this.pending.set(room, timer);
  }

  close(): void {
    this.closed = true;
    for (const timer of this.pending.values()) clearTimeout(timer);
    this.pending.clear();
    if (this.refreshTimer) clearInterval(this.refreshTimer);
  }

  private async announce(room: string): Promise<void> {
    try {
      const users = await this.membersOf(room);
      if (this.closed) return;
      this.io.to(roomKey(room)).emit("presence", { room, users });
    } catch (err) {
      // Redis unreachable: the next update heals.
      this.options.log(`presence of ${room} not sent: ${(err as Error).message}`);
    }
  }

  /** Rewrites the records and name claims of this node's users, then re-announces their rooms. */
  private async refreshLocalUsers(): Promise<void> {
    const rooms = new Set<string>();
    const writes: Promise<unknown>[] = [];
    for (const socket of this.io.of("/").sockets.values()) {
      const user = socket.data.user;
      if (!user) continue;
      writes.push(this.online(socket), this.state.claimNickname(user.nickname, user.id, this.claimTtlMs));
      for (const key of socket.rooms) if (key.startsWith(ROOM_PREFIX)) rooms.add(key.slice(ROOM_PREFIX.length));
    }
    const failed = (await Promise.allSettled(writes)).find((r) => r.status === "rejected");
    if (failed) this.options.log(`presence refresh incomplete: ${(failed as PromiseRejectedResult).reason}`);
    for (const room of rooms) this.schedule(room);
  }
}
