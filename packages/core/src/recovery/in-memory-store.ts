import { randomBytes } from "node:crypto";
import { PacketType } from "@roomcast/protocol";
import type { HandledEmitRecord } from "../acks/handled-emits.js";
import { OutgoingPacket } from "../dialect/outgoing-packet.js";
import type { BroadcastOptions, Room } from "../types.js";
import { formatPosition, splitPosition } from "./position.js";
import { isTargeted, type RecoverySession, type RecoveryStore, type RecoveryStoreContext } from "./recovery-store.js";

interface Entry {
  readonly offset: number;
  readonly time: number;
  /*
   * Only the arguments, not the OutgoingPacket: its encoded payload and frame would triple the
   * memory per packet, and a replay (rare, to one socket) can afford to encode again.
   */
  readonly data: unknown[];
  /* the broadcast's own sets, kept by reference (operators never mutate them) */
  readonly rooms: ReadonlySet<Room>;
  readonly except: ReadonlySet<Room> | undefined;
}

interface KeptSession {
  readonly session: RecoverySession;
  readonly expires: number;
}

/* Trimmed slots are dropped in batches, so trimming one packet costs O(1) amortised. */
const COMPACT_AFTER = 1024;

/**
 * The single-node store: the last `maxPackets` packets of the namespace (none older than
 * `maxDisconnectionDuration`) and the sessions of dropped sockets, in this process. Its epoch is
 * random, so positions from before a restart are never mistaken for current ones.
 */
export class InMemoryRecoveryStore implements RecoveryStore {
  readonly distributes = false;
  /** Random per instance: a restarted server cannot replay what it never kept. */
  readonly epoch = randomBytes(6).toString("base64url");
  private readonly entries: Entry[] = [];
  /** Index in `entries` of the oldest kept packet. */
  private first = 0;
  private offset = 0;
  /** Offset of the newest packet that was trimmed; a replay from before it is impossible. */
  private trimmedThrough = 0;
  /* insertion order is expiry order (one TTL for all), so expiry only looks at the front */
  private readonly sessions = new Map<string, KeptSession>();
  private readonly sweeper: NodeJS.Timeout;

  constructor(private readonly context: RecoveryStoreContext) {
    this.sweeper = setInterval(() => this.expire(Date.now()), Math.min(context.maxDisconnectionDuration, 60_000));
    this.sweeper.unref();
  }

  /** Packets kept now. */
  get size(): number {
    return this.entries.length - this.first;
  }

  /** Sessions kept now. */
  get sessionCount(): number {
    return this.sessions.size;
  }

  append(data: unknown[], opts: BroadcastOptions): void {
    const offset = ++this.offset;
    const { nsp } = this.context;
    const packet = new OutgoingPacket({ type: PacketType.EVENT_AT, nsp, position: formatPosition(this.epoch, offset), data });
    const now = Date.now();
    this.entries.push({ offset, time: now, data, rooms: opts.rooms, except: opts.except });
    this.trim(now);
    this.context.deliver(packet, opts);
  }

  head(): string {
    return formatPosition(this.epoch, this.offset);
  }

  persistSession(session: RecoverySession, ttl: number): void {
    const now = Date.now();
    this.sessions.delete(session.pid);
    this.sessions.set(session.pid, { session, expires: now + ttl });
    this.expire(now);
  }

  updateHandled(pid: string, handled: HandledEmitRecord[]): void {
    const kept = this.sessions.get(pid);
    // setting an existing key keeps its place, so the expiry order holds
    if (kept !== undefined && kept.expires > Date.now()) this.sessions.set(pid, { session: { ...kept.session, handled }, expires: kept.expires });
  }

  takeSession(pid: string): RecoverySession | undefined {
    const kept = this.sessions.get(pid);
    if (kept === undefined) return undefined;
    this.sessions.delete(pid);
    return kept.expires > Date.now() ? kept.session : undefined;
  }

  replay(position: string, rooms: ReadonlySet<Room>): OutgoingPacket[] | undefined {
    const parts = splitPosition(position);
    if (parts === undefined || parts[0] !== this.epoch || !/^\d{1,15}$/.test(parts[1])) return undefined;
    const after = Number(parts[1]);
    if (after > this.offset) return undefined;
    this.trim(Date.now());
    if (after < this.trimmedThrough) return undefined;
    const replayed: OutgoingPacket[] = [];
    if (after === this.offset) return replayed;
    // offsets are contiguous, so the first packet after `after` is found by arithmetic
    const entries = this.entries;
    for (let i = this.first + (after + 1 - entries[this.first].offset); i < entries.length; i++) {
      const entry = entries[i];
      if (isTargeted(entry.rooms, entry.except, rooms)) {
        const position = formatPosition(this.epoch, entry.offset);
        replayed.push(new OutgoingPacket({ type: PacketType.EVENT_AT, nsp: this.context.nsp, position, data: entry.data }));
      }
    }
    return replayed;
  }

  close(): void {
    clearInterval(this.sweeper);
    this.sessions.clear();
    this.entries.length = 0;
    this.first = 0;
  }

  private trim(now: number): void {
    const entries = this.entries;
    const oldest = now - this.context.maxDisconnectionDuration;
    const max = this.context.maxPackets;
    while (this.first < entries.length && (entries.length - this.first > max || entries[this.first].time < oldest)) {
      this.trimmedThrough = entries[this.first].offset;
      this.first++;
    }
    if (this.first >= COMPACT_AFTER && this.first * 2 >= entries.length) {
      entries.splice(0, this.first);
      this.first = 0;
    }
  }

  private expire(now: number): void {
    for (const [pid, kept] of this.sessions) {
      if (kept.expires > now) return;
      this.sessions.delete(pid);
    }
  }
}
