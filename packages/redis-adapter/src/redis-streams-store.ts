import { randomBytes } from "node:crypto";
import {
  formatPosition,
  type HandledEmitRecord,
  OutgoingPacket,
  type RecoverySession,
  type RecoveryStore,
  type RecoveryStoreContext,
  type Room,
  isTargeted,
  offsetParts,
  splitPosition,
  type BroadcastOptions,
} from "@roomcast/core";
import { PacketType } from "@roomcast/protocol";
import { Packr } from "msgpackr";
import { AppendOutbox } from "./append-outbox.js";
import { type EncodedSession, LiveSessions, type LiveSessionTimings } from "./live-sessions.js";
import { hasRoomChannel, type PacketChannels, routedRooms } from "./packet-channels.js";
import { type FollowerCounters, StreamFollower, type StreamRead } from "./stream-follower.js";
import type { ScriptClient } from "./stream-scripts.js";

/* Plain msgpack (no records), so another process or a redis-cli session can read the entries. */
const packr = new Packr({ useRecords: false, mapsAsObjects: true, int64AsType: "number", moreTypes: false });

/**
 * One stream entry: [rooms, except, [event, ...args]]. `null` instead of the event is a gap
 * marker: events meant for those sockets were lost (see AppendOutbox); they resynchronise.
 */
type Entry = [Room[], Room[], unknown[] | null];

/* The gap marker every outbox sends: it targets every socket of the namespace. */
const GAP_MARKER = packr.pack([[], [], null] satisfies Entry);

/* An outbox waits for Redis with at most this many bytes of events, beside the `maxPackets` bound. */
const OUTBOX_MAX_BYTES = 32 * 1024 * 1024;
/*
 * Messages a node holds at least while it catches up (the namespace's `maxPackets` when larger): a
 * catch-up of rooms just joined lasts two Redis round trips, and a tiny `maxPackets` must not turn
 * it into a resynchronisation of every socket.
 */
const MIN_HELD = 1000;
/* How long (ms) Redis remembers the last sequence number a node appended, so a resend is taken once. */
const ORIGIN_TTL_MS = 10 * 60 * 1000;

function compareOffsets(a: string, b: string): number {
  const pa = offsetParts(a) ?? [0, 0];
  const pb = offsetParts(b) ?? [0, 0];
  return pa[0] - pb[0] || pa[1] - pb[1];
}

/* A window this store wrote: entries with a numeric id and arrival time. */
function isHandledWindow(value: unknown): value is HandledEmitRecord[] {
  return Array.isArray(value) && value.every((entry: Partial<HandledEmitRecord> | null) => typeof entry?.id === "number" && typeof entry.at === "number");
}

/*
 * A tick (the stream's position alone on the namespace channel) goes out with the first room-scoped
 * append of each window of a TICK_SHARE-th of `maxDisconnectionDuration` (at least a second), and
 * with every (maxPackets / TICK_SHARE)th one. A node's cursor then lags the head by about a tenth
 * of what trimming keeps (by age or by count), so a node that hears little can still read back
 * what a broken subscription cost it, and a quiet namespace sends a tick a dozen seconds at most.
 */
const TICK_SHARE = 10;
const MIN_TICK_WINDOW_MS = 1000;

/** What a namespace's store counts on this node (`RedisStreamsStore.metrics`). */
export interface StreamsStoreMetrics extends FollowerCounters {
  /** Room channels this node subscribes to now: one per room it has local members in (socket ids excepted). */
  roomChannels: number;
  /** Appends waiting for Redis. */
  queuedAppends: number;
}

/** The factory's subscriber connection, as a store uses it for its room channels. */
export interface StoreSubscriptions {
  /** Subscribes; settles once Redis confirmed. */
  subscribe(channel: string): Promise<unknown>;
  unsubscribe(channel: string): void;
}

/** What a store learns from its factory. */
export interface StoreNode {
  /** This node's id, written as the owner of its live sessions. */
  owner: string;
  /** Channel prefix on which a node hears that its session was claimed elsewhere. */
  noticePrefix: string;
  /** This node's notice channel, where the markers of its reads come back. */
  noticeChannel: string;
  timings: LiveSessionTimings;
  subscriptions: StoreSubscriptions;
}
/** How a session is laid out in Redis: the record, and apart from it the `handled` window. */
function encodeSession(session: RecoverySession): EncodedSession {
  const { handled, ...rest } = session;
  return [packr.pack(rest), handled === undefined ? "" : packr.pack(handled)];
}

/** The store of one namespace; see `createStreamsStore` (streams-store.ts). */
export class RedisStreamsStore implements RecoveryStore {
  readonly distributes = true;
  /** Settles once this node hears the namespace's packets. */
  ready: Promise<void> = Promise.resolve();
  /** Used only if Redis has no epoch for the namespace yet (first use, or data lost). */
  private readonly epochBase = randomBytes(6).toString("base64url");
  /*
   * Each call offers a candidate of its own: a node that re-created the epoch with the same
   * string after Redis lost its data would make the positions of the lost history look current.
   */
  private epochSerial = 0;
  private readonly streamKey: string;
  private readonly epochKey: string;
  private readonly originKey: string;
  private readonly tickKey: string;
  private readonly tickEvery: number;
  private readonly tickWindow: number;
  /** Rooms whose packet channel this node subscribes to (it has local members there). */
  private readonly rooms = new Set<Room>();
  /** Writes in flight; `close()` waits for them (sessions written during shutdown). */
  private readonly pending = new Set<Promise<unknown>>();
  private closed = false;
  /** The sessions of this namespace's live sockets, kept in Redis (crash-safe recovery). */
  readonly live: LiveSessions;
  /** Appends waiting for Redis, in order. */
  readonly outbox: AppendOutbox;
  /** Delivery from the packet channels, in stream order, with catch-up from the stream. */
  readonly follower: StreamFollower;

  constructor(
    private readonly client: ScriptClient,
    private readonly context: RecoveryStoreContext,
    private readonly base: string,
    private readonly channels: PacketChannels,
    private readonly node: StoreNode,
    private readonly release: () => void,
  ) {
    this.streamKey = `${base}#stream`;
    this.epochKey = `${base}#epoch`;
    this.originKey = `${base}#origin#${node.owner}`;
    this.tickKey = `${base}#tick`;
    this.tickEvery = Math.max(1, Math.floor(context.maxPackets / TICK_SHARE));
    this.tickWindow = Math.max(MIN_TICK_WINDOW_MS, Math.floor(context.maxDisconnectionDuration / TICK_SHARE));
    const warn = (message: string, error?: unknown): void => context.warn(message, error);
    this.live = new LiveSessions(client, base, node.owner, node.noticePrefix, node.timings, encodeSession, warn);
    this.outbox = new AppendOutbox((payload, seq, channels) => this.send(payload, seq, channels), GAP_MARKER, { maxItems: context.maxPackets, maxBytes: OUTBOX_MAX_BYTES }, warn);
    this.follower = new StreamFollower(
      {
        read: (after) => this.read(after),
        head: () => this.head(),
        deliver: (position, payload) => this.deliverEntry(position, payload),
        channelRooms: (payload) => channelRoomsOf(payload),
        gap: (rooms) => {
          if (rooms === undefined) warn("packets published while this node's subscription was broken cannot be read back; every socket of the namespace is resynchronised");
          else warn(`packets of room(s) ${[...rooms].join(", ")} could not be read back; their sockets are resynchronised`);
          this.context.resync?.({ rooms: rooms === undefined ? new Set() : new Set(rooms) });
        },
        warn,
      },
      Math.max(context.maxPackets, MIN_HELD),
    );
  }

  /** What this store counts on this node: see {@link StreamsStoreMetrics}. */
  get metrics(): StreamsStoreMetrics {
    return { ...this.follower.counters, roomChannels: this.rooms.size, queuedAppends: this.outbox.queued };
  }

  append(data: unknown[], opts: BroadcastOptions): void {
    const rooms = [...opts.rooms];
    const entry: Entry = [rooms, opts.except ? [...opts.except] : [], data];
    let payload: Buffer;
    try {
      payload = packr.pack(entry);
    } catch (err) {
      this.context.warn("an event could not be encoded for the stream", err);
      return;
    }
    const routed = routedRooms(rooms);
    this.outbox.push(payload, routed === undefined ? [] : routed.map(this.channels.room));
  }

  /**
   * The first local member of `room` joined: this node starts to hear the room's packets, those
   * published before its SUBSCRIBE took effect read from the stream (see StreamFollower).
   */
  roomJoined(room: Room): void {
    if (this.closed || !hasRoomChannel(room) || this.rooms.has(room)) return;
    this.rooms.add(room);
    this.follower.joined(room, this.node.subscriptions.subscribe(this.channels.room(room)));
  }

  /** Settles once the rooms this node just began to hear have their join's position (see StreamFollower.ready). */
  roomsReady(rooms: readonly Room[]): Promise<void> | undefined {
    return this.follower.ready(rooms);
  }

  /** Settles once Redis took every append made so far, with the newest position (see AppendOutbox.taken). */
  appendsTaken(): Promise<string | undefined> | undefined {
    return this.outbox.taken();
  }

  /**
   * Settles once this node delivered everything it owes up to `position`; undefined when it has.
   * A read publishes its marker on this node's notice channel: the cursor gets there even when
   * nothing more is published on this node's channels.
   */
  deliveredThrough(position: string): Promise<boolean> | undefined {
    if (this.closed || this.follower.delivered(position)) return undefined;
    const parts = splitPosition(position);
    if (parts === undefined) return undefined;
    const through = this.follower.through(position);
    this.read(parts[1]).catch((err: unknown) => this.context.warn("could not read the stream to deliver what came before a membership change", err));
    return through;
  }

  /** The last local member of `room` left: this node stops hearing the room. */
  roomLeft(room: Room): void {
    if (!this.rooms.delete(room)) return;
    this.node.subscriptions.unsubscribe(this.channels.room(room));
  }

  /** A new epoch never used before, for Redis to adopt if it has none (its first use, or its data was lost). */
  private epochCandidate(): string {
    return this.epochBase + (this.epochSerial++).toString(36);
  }

  /** One append, as the outbox sends it (again, after a failure). */
  private send(payload: Buffer, seq: number, channels: readonly string[]): Promise<unknown> {
    const minId = String(Math.max(0, Date.now() - this.context.maxDisconnectionDuration));
    return this.client.roomcastAppend(
      this.streamKey,
      this.epochKey,
      this.originKey,
      this.tickKey,
      this.epochCandidate(),
      this.context.maxPackets,
      minId,
      this.channels.namespace,
      payload,
      seq,
      ORIGIN_TTL_MS,
      this.tickEvery,
      this.tickWindow,
      ...channels,
    );
  }

  /** Reads the stream after `after`; the marker of the read comes back on this node's notice channel. */
  private read(after: string): Promise<StreamRead> {
    return this.client.roomcastReplayBuffer(this.streamKey, this.epochKey, after, this.node.noticeChannel, this.channels.namespace);
  }

  /** A message from one of the namespace's channels, or (no payload) a sync point, in the order Redis published it. */
  receive(position: string, payload: Buffer | undefined): void {
    this.follower.receive(position, payload);
  }

  /** One stream entry for this node's sockets: an event, or a gap marker that resynchronises them. */
  private deliverEntry(position: string, payload: Buffer): void {
    let entry: Entry;
    try {
      entry = packr.unpack(payload) as Entry;
    } catch (err) {
      this.context.warn("a malformed stream entry was published", err);
      return;
    }
    const opts: BroadcastOptions = { rooms: new Set(entry[0]), except: new Set(entry[1]), flags: { local: true } };
    if (entry[2] === null) {
      this.context.warn("a node lost events while Redis was unreachable; the sockets they targeted are resynchronised");
      this.context.resync?.(opts);
      return;
    }
    const packet = new OutgoingPacket({ type: PacketType.EVENT_AT, nsp: this.context.nsp, position, data: entry[2] });
    this.context.deliver(packet, opts);
  }

  head(): Promise<string> {
    return this.client.roomcastHead(this.streamKey, this.epochKey, this.epochCandidate());
  }

  /** Stores the session of a socket that dropped (fenced: a session another node resumed is left alone). */
  persistSession(session: RecoverySession, ttl: number): Promise<void> {
    return this.track(this.live.keep(session, ttl));
  }

  /**
   * Claims the session of `pid` for a resume here: it stays in Redis, now owned by this node,
   * until this node writes it again or drops it (see live-sessions.ts).
   */
  async takeSession(pid: string): Promise<RecoverySession | undefined> {
    const claimed = await this.live.claim(pid);
    if (claimed === undefined) return undefined;
    const raw = claimed.session;
    const rawHandled = claimed.handled.length === 0 ? null : claimed.handled;
    const session = packr.unpack(raw) as RecoverySession;
    if (session === null || typeof session !== "object" || typeof session.sid !== "string" || !Array.isArray(session.rooms)) {
      // not a session this store wrote: it cannot be resumed by anyone
      await this.live.discard(pid);
      return undefined;
    }
    const handled = rawHandled === null ? undefined : (packr.unpack(rawHandled) as unknown);
    if (isHandledWindow(handled)) session.handled = handled;
    return session;
  }

  updateHandled(pid: string, handled: HandledEmitRecord[]): Promise<void> {
    return this.track(this.client.roomcastKeepHandled(this.sessionKey(pid), this.handledKey(pid), packr.pack(handled)).then(() => {}));
  }

  private sessionKey(pid: string): string {
    return `${this.base}#session#${pid}`;
  }

  private handledKey(pid: string): string {
    return `${this.base}#handled#${pid}`;
  }

  async replay(position: string, rooms: ReadonlySet<Room>): Promise<OutgoingPacket[] | undefined> {
    const parts = splitPosition(position);
    if (parts === undefined || offsetParts(parts[1]) === undefined) return undefined;
    const [epoch, after] = parts;
    const [currentEpoch, maxDeleted, last, first, trimmed, entries] = await this.read(after);
    if (currentEpoch === null || currentEpoch.toString() !== epoch) return undefined;
    if (compareOffsets(after, last.toString()) > 0) return undefined; // from the future
    if (compareOffsets(maxDeleted.toString(), after) > 0) return undefined; // XDEL removed one of them
    /*
     * Trimming removes the oldest entries. When the oldest kept entry comes after `after`, some
     * removed entry may too: refuse (this errs on the safe side only when `after` was itself the
     * newest entry removed).
     */
    if (trimmed > 0 && compareOffsets(first.toString(), after) > 0) return undefined;
    /*
     * The socket is in its rooms already (its new rooms subscribed, or being caught up), holding
     * what this node delivers to it. Once this node has delivered everything it owes up to the
     * read's last id, the replay (everything up to that id) and the held packets after it cover
     * the gap exactly once: a socket.io-client does not drop a position it has seen.
     */
    if (!(await this.follower.through(formatPosition(epoch, last.toString())))) return undefined;
    const replayed: OutgoingPacket[] = [];
    for (const [id, fields] of entries) {
      const entry = packr.unpack(fields[1]) as Entry;
      if (!isTargeted(entry[0], entry[1], rooms)) continue;
      // events for this session were lost in a Redis outage: no partial replay
      if (entry[2] === null) return undefined;
      const at = formatPosition(epoch, id.toString());
      replayed.push(new OutgoingPacket({ type: PacketType.EVENT_AT, nsp: this.context.nsp, position: at, data: entry[2] }));
    }
    return replayed;
  }

  async close(): Promise<void> {
    this.closed = true;
    this.follower.close();
    for (const room of this.rooms) this.node.subscriptions.unsubscribe(this.channels.room(room));
    this.rooms.clear();
    await Promise.allSettled([...this.pending]);
    await Promise.all([this.outbox.close(), this.live.close()]);
    this.release();
  }

  private track<T>(promise: Promise<T>): Promise<T> {
    this.pending.add(promise);
    void promise.finally(() => this.pending.delete(promise)).catch(() => {});
    return promise;
  }
}

/** The rooms whose channels a stream entry was published on (undefined: the namespace channel). */
function channelRoomsOf(payload: Buffer): readonly Room[] | undefined {
  try {
    const entry = packr.unpack(payload) as Entry;
    return Array.isArray(entry?.[0]) ? routedRooms(entry[0]) : undefined;
  } catch {
    return undefined;
  }
}
