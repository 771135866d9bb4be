import type { ChatUser } from "../shared/chat-events.js";
import { ROOM_PREFIX, roomKey, type ChatServer } from "./chat-types.js";
import { reachableSockets } from "./reachable-sockets.js";

/** Joins and leaves in one burst (a page rejoining its rooms, a node restarting) become one update per room. */
const COALESCE_MS = 50;
/** Bounds the timers this node holds; beyond it updates are sent at once instead of coalesced. */
const MAX_PENDING_ROOMS = 1000;

/**
 * Keeps each room's member list correct on every page, whichever node serves it. The list is
 * always recomputed with `fetchSockets` (cluster-wide with the Redis adapter) rather than
 * maintained incrementally, so a missed update heals on the next one.
 */
export class PresenceBroadcaster {
  private readonly pending = new Map<string, NodeJS.Timeout>();
  private readonly refreshTimer: NodeJS.Timeout | undefined;
  private closed = false;

  /**
   * @param refreshMs how often rooms with members on this node are re-announced. This is what
   *   removes users of a node that died without saying goodbye. 0 disables it.
   */
  constructor(
    private readonly io: ChatServer,
    refreshMs: number,
    private readonly log: (message: string) => void = console.error,
  ) {
    if (refreshMs > 0) {
      this.refreshTimer = setInterval(() => this.refreshLocalRooms(), refreshMs);
      this.refreshTimer.unref();
    }
  }

  /** Everyone in `room` (a chat room name, without prefix), sorted by nickname. */
  async usersIn(room: string): Promise<ChatUser[]> {
    const sockets = await reachableSockets(() => this.io.in(roomKey(room)).fetchSockets(), this.log);
    const users: ChatUser[] = [];
    for (const socket of sockets) {
      const user = (socket.data as { user?: ChatUser } | undefined)?.user;
      if (user) users.push(user);
    }
    return users.sort((a, b) => a.nickname.localeCompare(b.nickname) || a.id.localeCompare(b.id));
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
      const users = await this.usersIn(room);
      if (this.closed) return;
      this.io.to(roomKey(room)).emit("presence", { room, users });
    } catch (err) {
      // A node that stopped answering makes fetchSockets fail until the cluster forgets it; the next update heals.
      this.log(`presence of ${room} not sent: ${(err as Error).message}`);
    }
  }

  private refreshLocalRooms(): void {
    for (const key of this.io.of("/").adapter.rooms.keys()) {
      if (key.startsWith(ROOM_PREFIX)) this.schedule(key.slice(ROOM_PREFIX.length));
    }
  }
}
