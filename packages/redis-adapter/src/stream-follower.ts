import { offsetParts, splitPosition, type Room } from "@roomcast/core";

/**
 * What a read of the stream after an id returns (the store's REPLAY script): the epoch (null when
 * Redis has none: it lost its data), the newest id XDEL removed, the last id, the first id kept,
 * how many entries trimming removed, and the entries after the id, each `[id, ["p", payload]]`.
 * The script also publishes the last id on this node's notice channel (a sync point, see
 * {@link StreamFollower.receive}).
 */
export type StreamRead = [epoch: Buffer | null, maxDeleted: Buffer, last: Buffer, first: Buffer, trimmed: number, entries: [Buffer, Buffer[]][]];

/** What a follower needs of its store. */
export interface FollowedStream {
  /** Reads the stream after stream id `after` (see {@link StreamRead}). */
  read(after: string): Promise<StreamRead>;
  /** The position of the newest entry, `"<epoch>:<id>"`. */
  head(): Promise<string>;
  /** Hands one entry, in stream order, to this node's sockets. */
  deliver(position: string, payload: Buffer): void;
  /** The rooms whose channels an entry was published on; undefined: the namespace channel. */
  channelRooms(payload: Buffer): readonly Room[] | undefined;
  /** Entries this node should have delivered are lost: the sockets in `rooms` (every socket when undefined) must resynchronise. */
  gap(rooms: ReadonlySet<Room> | undefined): void;
  warn(message: string, error?: unknown): void;
}

/** What a follower counts (see `RedisStreamsStore.metrics`). */
export interface FollowerCounters {
  /** Packets read from the namespace's channels, copies of multi-room packets included. */
  heard: number;
  /** Copies of multi-room packets dropped (the node heard the packet on another of its channels). */
  duplicates: number;
  /** Positions heard without a packet: ticks of the namespace channel and the markers of this node's reads. */
  syncs: number;
  /** Packets delivered from a read of the stream rather than from a channel (new rooms, a broken subscription). */
  caughtUp: number;
}

/** A stream position, parsed once. */
interface Point {
  readonly epoch: string;
  readonly ms: number;
  readonly seq: number;
}

/** A packet (or, without payload, a sync point) in stream order. */
interface Item {
  readonly at: Point;
  readonly position: string;
  readonly payload: Buffer | undefined;
}

/**
 * Rooms this node began to hear together. Their packets after `from` are owed to their members;
 * those published before their channels were subscribed are read from the stream.
 */
interface Group {
  readonly rooms: Set<Room>;
  /** The stream head read when the group began; undefined until it is known. */
  from: Point | undefined;
  /** The cursor when the group began: nothing after it is delivered until `from` is known. */
  readonly floor: Point | undefined;
  /** SUBSCRIBEs not confirmed yet. */
  subscriptions: number;
  /** The read is under way (or answered). */
  reading: boolean;
  /** The read's packets for these rooms, and the stream's last id it saw. */
  answer: { entries: Item[]; last: Point } | undefined;
  readonly began: number;
  /** Told once `from` is known or the group is gone (see `ready`). */
  onReady: (() => void)[];
}

interface Waiter {
  readonly at: Point;
  readonly resolve: (reached: boolean) => void;
  readonly timer: NodeJS.Timeout;
}

/* a failed read is tried again after this (ms) */
const RETRY_MS = 250;
/* A group not caught up after this (ms) (a marker lost, a stuck read) falls back to a full read. */
const GROUP_TIMEOUT_MS = 5000;
/* `through` gives up after this (ms): the resume that waits falls back to a fresh session. */
const THROUGH_TIMEOUT_MS = 5000;

function point(epoch: string, id: string): Point | undefined {
  const parts = offsetParts(id);
  return parts === undefined ? undefined : { epoch, ms: parts[0], seq: parts[1] };
}

function parsePosition(position: string): Point | undefined {
  const parts = splitPosition(position);
  return parts === undefined ? undefined : point(parts[0], parts[1]);
}

/** Order of two points of one epoch. */
function compare(a: Point, b: Point): number {
  return a.ms - b.ms || a.seq - b.seq;
}

/** True when `a` comes after `b` in the same epoch (`orEqual`: or is `b`). */
function reached(a: Point | undefined, b: Point, orEqual: boolean): boolean {
  if (a === undefined || a.epoch !== b.epoch) return false;
  const order = compare(a, b);
  return orEqual ? order >= 0 : order > 0;
}

const idOf = (at: Point): string => `${at.ms}-${at.seq}`;

/** Two sorted runs as one (ties: a packet before a sync point, so the point covers it). */
function merge(a: Item[], b: Item[]): Item[] {
  if (a.length === 0) return b;
  if (b.length === 0) return a;
  const out: Item[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) out.push(precedes(b[j], a[i]) ? b[j++] : a[i++]);
  while (i < a.length) out.push(a[i++]);
  while (j < b.length) out.push(b[j++]);
  return out;
}

function settleReady(group: Group): void {
  for (const resolve of group.onReady.splice(0)) resolve();
}

function precedes(a: Item, b: Item): boolean {
  if (a.at.epoch !== b.at.epoch) return false;
  const order = compare(a.at, b.at);
  return order < 0 || (order === 0 && a.payload !== undefined && b.payload === undefined);
}

/**
 * Delivers one namespace's stream to this node's sockets, in stream order, although the node hears
 * only part of it: the namespace channel, and the channel of each room it has local members in.
 *
 * The cursor is the newest position up to which the node has delivered everything it owes: every
 * packet on its channels. The subscriber connection hands over messages in the order Redis
 * published them (one connection, one Redis server or one shard publishing), so a packet, a tick
 * or a marker at a position says that everything published on the node's channels before it has
 * arrived. Copies of a multi-room packet (one per room channel) come back to back; all but the
 * first are dropped by position.
 *
 * Two things break that picture, and each is repaired from the stream:
 *
 * - A room the node starts to hear: its channel is subscribed only now, so its packets published
 *   meanwhile are missed. The follower reads the stream head when the room's first local member
 *   joins (the join's position), holds back everything after it, reads the stream once the
 *   SUBSCRIBE is confirmed, and merges that room's packets after the join's position with what
 *   the channels brought, in order, once the marker of that read came through the subscriber
 *   (so every packet published before the read has arrived too).
 * - A broken subscriber connection (Redis restarted, a network cut, the subscriber dropped for a
 *   full output buffer) loses everything published meanwhile. Once the subscription is back the
 *   follower reads the stream after its cursor and delivers what it missed, late but in order;
 *   when the stream cannot give it all (Redis lost its data, or trimmed past the cursor) the
 *   store resynchronises this node's sockets. Ticks on the namespace channel keep the cursor of a
 *   node that hears little close to the stream's head, so such a read rarely goes past what was
 *   trimmed.
 */
export class StreamFollower {
  readonly counters: FollowerCounters = { heard: 0, duplicates: 0, syncs: 0, caughtUp: 0 };
  private cursor: Point | undefined;
  /** Messages held back (in arrival order) while something earlier is not known yet. */
  private held: Item[] = [];
  private heldStart = 0;
  /** Packets read from the stream and not delivered yet (in stream order). */
  private caught: Item[] = [];
  private caughtStart = 0;
  private overflow = false;
  /** Rooms being caught up, oldest first; one read at a time. */
  private readonly groups: Group[] = [];
  /** The subscription broke: nothing is delivered until the stream was read after the cursor. */
  private broken = false;
  /** Newest sync point and newest packet heard: whether a read's marker (or anything later) came through. */
  private syncedTo: Point | undefined;
  private packetsTo: Point | undefined;
  /** Bumped when reads in flight no longer count (a broken subscription, a full read, close). */
  private generation = 0;
  private readonly timers = new Set<NodeJS.Timeout>();
  private watchdog: NodeJS.Timeout | undefined;
  private readonly waiters: Waiter[] = [];
  private closed = false;

  constructor(
    private readonly stream: FollowedStream,
    /** Messages held at most while catching up; one more is lost, and every socket resynchronises. */
    private readonly limit: number,
  ) {}

  /** The subscription is in place for the first time: what it missed before does not concern this node. */
  started(): void {
    this.stream.head().then(
      (head) => {
        // packets already delivered are a better starting point than a head read after them
        if (this.cursor !== undefined || this.closed) return;
        this.cursor = parsePosition(head);
        this.settleWaiters();
      },
      (err: unknown) => this.stream.warn("could not read the stream head: if the subscription breaks, every socket will be resynchronised", err),
    );
  }

  /**
   * A message from one of the namespace's channels or from this node's notice channel, in the
   * order Redis published it: a packet, or (`payload` undefined) a sync point.
   */
  receive(position: string, payload: Buffer | undefined): void {
    const at = parsePosition(position);
    if (at === undefined || this.closed) return;
    if (payload === undefined) {
      this.counters.syncs++;
      if (!reached(this.syncedTo, at, true)) this.syncedTo = at;
    } else {
      this.counters.heard++;
      if (!reached(this.packetsTo, at, true)) this.packetsTo = at;
    }
    const item: Item = { at, position, payload };
    if (!this.broken && this.groups.length === 0 && this.heldStart === this.held.length && this.caughtStart === this.caught.length) {
      this.apply(item);
      return;
    }
    if (this.held.length - this.heldStart < this.limit) this.held.push(item);
    else this.overflow = true;
    if (this.groups[0]?.answer !== undefined) this.tryComplete();
    this.pump();
  }

  /**
   * This node began to hear `room` (its first local member joined): `subscribed` settles once its
   * channel's SUBSCRIBE is confirmed. Its packets from now on reach its members, in order.
   */
  joined(room: Room, subscribed: Promise<unknown>): void {
    if (this.closed) return;
    let group = this.groups[this.groups.length - 1];
    if (group === undefined || group.reading) {
      group = { rooms: new Set(), from: undefined, floor: this.cursor, subscriptions: 0, reading: false, answer: undefined, began: Date.now(), onReady: [] };
      this.groups.push(group);
      this.readHead(group);
      this.armWatchdog();
    }
    group.rooms.add(room);
    group.subscriptions++;
    const done = group;
    subscribed.then(
      () => this.subscribed(done),
      (err: unknown) => {
        if (this.closed) return;
        this.stream.warn(`could not subscribe to the packets of room ${room}; its sockets are resynchronised`, err);
        this.stream.gap(new Set([room]));
        this.subscribed(done);
      },
    );
  }

  /**
   * Settles once each of `rooms` that this node began to hear has its join's position (the
   * stream head read after the join): a packet appended from then on reaches its members here,
   * from the channel or from the catch-up read. Undefined when none of them is waiting for it.
   */
  ready(rooms: readonly Room[]): Promise<void> | undefined {
    const waits: Promise<void>[] = [];
    for (const group of this.groups) {
      if (group.from !== undefined || !rooms.some((room) => group.rooms.has(room))) continue;
      waits.push(new Promise<void>((resolve) => group.onReady.push(resolve)));
    }
    if (waits.length === 0) return undefined;
    return waits.length === 1 ? waits[0] : Promise.all(waits).then(() => {});
  }

  /** The subscriber connection broke: messages are being missed from now on. */
  interrupted(): void {
    if (this.closed) return;
    this.broken = true;
    this.generation++;
    for (const group of this.groups) {
      group.reading = false;
      group.answer = undefined;
    }
  }

  /** The subscription is back in place (after an interruption): reads what was missed. */
  resumed(): void {
    if (this.broken && !this.closed) this.catchUpAll();
  }

  /** Whether this node has delivered every packet it owes up to `position` already. */
  delivered(position: string): boolean {
    const at = parsePosition(position);
    return at !== undefined && reached(this.cursor, at, true);
  }

  /**
   * Settles with true once this node has delivered every packet it owes up to `position` (a
   * position the stream had when this node's read published its marker), false after a gap or
   * when it takes longer than a few seconds.
   */
  through(position: string): Promise<boolean> {
    const at = parsePosition(position);
    if (at === undefined || this.closed) return Promise.resolve(false);
    if (reached(this.cursor, at, true)) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        const index = this.waiters.indexOf(waiter);
        if (index >= 0) this.waiters.splice(index, 1);
        resolve(false);
      }, THROUGH_TIMEOUT_MS);
      timer.unref();
      const waiter: Waiter = { at, resolve, timer };
      this.waiters.push(waiter);
    });
  }

  close(): void {
    this.closed = true;
    this.generation++;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    if (this.watchdog !== undefined) clearTimeout(this.watchdog);
    this.watchdog = undefined;
    for (const waiter of this.waiters.splice(0)) {
      clearTimeout(waiter.timer);
      waiter.resolve(false);
    }
    for (const group of this.groups) settleReady(group);
    this.groups.length = 0;
    this.held = [];
    this.heldStart = 0;
    this.caught = [];
    this.caughtStart = 0;
  }

  /** Hands one item over: a packet after the cursor is delivered, a sync point moves the cursor. */
  private apply(item: Item): boolean {
    const { at, payload } = item;
    const cursor = this.cursor;
    if (cursor !== undefined && cursor.epoch === at.epoch && compare(at, cursor) <= 0) {
      if (payload !== undefined) this.counters.duplicates++;
      return false;
    }
    this.cursor = at;
    if (payload !== undefined) this.stream.deliver(item.position, payload);
    if (this.waiters.length > 0) this.settleWaiters();
    return payload !== undefined;
  }

  /**
   * How far items may be delivered while rooms are caught up: up to the join position of the
   * earliest group (its rooms need nothing before it). `null`: nothing new; undefined: no limit.
   */
  private horizon(): Point | null | undefined {
    if (this.broken) return null;
    let limit: Point | undefined;
    for (const group of this.groups) {
      const from = group.from ?? group.floor;
      if (from === undefined) return null;
      if (limit === undefined) limit = from;
      else if (from.epoch !== limit.epoch) return null;
      else if (compare(from, limit) < 0) limit = from;
    }
    return limit;
  }

  /** Delivers held and read items in stream order, as far as the horizon allows. */
  private pump(): void {
    const limit = this.horizon();
    if (limit === null) return;
    const held = this.held;
    const caught = this.caught;
    for (;;) {
      const fromHeld = held[this.heldStart];
      const fromRead = caught[this.caughtStart];
      let next: Item;
      let read = false;
      if (fromRead !== undefined && (fromHeld === undefined || !precedes(fromHeld, fromRead))) {
        next = fromRead;
        read = true;
      } else if (fromHeld !== undefined) next = fromHeld;
      else break;
      if (limit !== undefined && !reached(limit, next.at, true)) break;
      if (read) this.caughtStart++;
      else this.heldStart++;
      if (this.apply(next) && read) this.counters.caughtUp++;
    }
    this.compact();
    if (this.overflow && this.groups.length === 0 && !this.broken) {
      this.overflow = false;
      this.stream.gap(undefined);
    }
  }

  private compact(): void {
    if (this.heldStart === this.held.length) {
      this.held = [];
      this.heldStart = 0;
    } else if (this.heldStart > 1024 && this.heldStart * 2 > this.held.length) {
      this.held = this.held.slice(this.heldStart);
      this.heldStart = 0;
    }
    if (this.caughtStart === this.caught.length) {
      this.caught = [];
      this.caughtStart = 0;
    }
  }

  private readHead(group: Group): void {
    this.stream.head().then(
      (head) => {
        if (this.closed || !this.groups.includes(group)) return;
        group.from = parsePosition(head);
        settleReady(group);
        this.drive();
        this.pump();
      },
      (err: unknown) => {
        if (this.closed || !this.groups.includes(group)) return;
        if (group.floor !== undefined) {
          // the cursor when the group began: earlier than the joins, never later than a read that followed them
          group.from = group.floor;
          settleReady(group);
          this.drive();
          this.pump();
          return;
        }
        this.stream.warn("could not read the stream head for rooms this node starts to hear; trying again", err);
        this.later(() => this.readHead(group));
      },
    );
  }

  private subscribed(group: Group): void {
    group.subscriptions--;
    this.drive();
  }

  /** Sends the read of the oldest group once its head is known and its channels are subscribed. */
  private drive(): void {
    if (this.closed || this.broken) return;
    const group = this.groups[0];
    if (group === undefined || group.reading || group.subscriptions > 0 || group.from === undefined) return;
    group.reading = true;
    const generation = this.generation;
    const from = group.from;
    this.stream.read(idOf(from)).then(
      (reply) => {
        if (generation === this.generation && this.groups[0] === group) this.answered(group, from, reply);
      },
      (err: unknown) => {
        if (generation !== this.generation || this.groups[0] !== group) return;
        this.stream.warn("could not read the stream for rooms this node starts to hear; trying again", err);
        group.reading = false;
        this.later(() => this.drive());
      },
    );
  }

  private answered(group: Group, from: Point, reply: StreamRead): void {
    const [epoch, , last] = reply;
    if (epoch === null || epoch.toString() !== from.epoch) {
      // Redis lost its data since the head was read: nothing before can be trusted
      this.catchUpAll();
      return;
    }
    // entries of these rooms were trimmed before they could be read (a tiny maxPackets)
    if (!complete(from, reply)) this.stream.gap(group.rooms);
    const entries: Item[] = [];
    for (const [id, fields] of reply[5]) {
      const payload = fields[1];
      const at = point(from.epoch, id.toString());
      if (at === undefined || payload === undefined) continue;
      const rooms = this.stream.channelRooms(payload);
      if (rooms === undefined || !rooms.some((room) => group.rooms.has(room))) continue;
      entries.push({ at, position: `${from.epoch}:${idOf(at)}`, payload });
    }
    group.answer = { entries, last: point(from.epoch, last.toString()) ?? from };
    this.tryComplete();
  }

  /**
   * The oldest group is caught up once its read answered and a sync point at or after what the
   * read saw (or a later packet) came through the subscriber: every packet published on the
   * node's other channels before the read has arrived, so the read's packets can take their place
   * among them.
   */
  private tryComplete(): void {
    const group = this.groups[0];
    const answer = group?.answer;
    if (answer === undefined) return;
    if (!reached(this.syncedTo, answer.last, true) && !reached(this.packetsTo, answer.last, false)) return;
    this.groups.shift();
    this.caught = merge(this.caught.slice(this.caughtStart), answer.entries);
    this.caughtStart = 0;
    this.drive();
    this.pump();
  }

  /**
   * Reads everything after the cursor: after a broken subscription, or when a group could not be
   * caught up. Groups whose channels are subscribed are covered by this read.
   */
  private catchUpAll(): void {
    this.broken = true;
    const generation = ++this.generation;
    for (let i = this.groups.length - 1; i >= 0; i--) {
      const group = this.groups[i];
      group.reading = false;
      group.answer = undefined;
      if (group.subscriptions === 0) {
        // covered by the read after the cursor, which starts before the joins
        this.groups.splice(i, 1);
        settleReady(group);
      }
    }
    const after = this.cursor;
    if (after === undefined) {
      // no known starting point: nothing tells what was missed
      this.caughtUpAll(undefined, undefined);
      return;
    }
    this.stream.read(idOf(after)).then(
      (reply) => {
        if (generation === this.generation) this.caughtUpAll(after, reply);
      },
      (err: unknown) => {
        if (generation !== this.generation) return;
        this.stream.warn("could not read the stream after the subscription came back; trying again", err);
        this.later(() => {
          if (generation === this.generation) this.catchUpAll();
        });
      },
    );
  }

  private caughtUpAll(after: Point | undefined, reply: StreamRead | undefined): void {
    if (after !== undefined && reply !== undefined && complete(after, reply)) {
      const entries: Item[] = [];
      for (const [id, fields] of reply[5]) {
        const at = point(after.epoch, id.toString());
        if (at !== undefined && fields[1] !== undefined) entries.push({ at, position: `${after.epoch}:${idOf(at)}`, payload: fields[1] });
      }
      // the read holds every packet up to its last id: a sync point there
      const last = point(after.epoch, reply[2].toString());
      if (last !== undefined) entries.push({ at: last, position: `${after.epoch}:${idOf(last)}`, payload: undefined });
      this.caught = merge(this.caught.slice(this.caughtStart), entries);
      this.caughtStart = 0;
    } else {
      this.stream.gap(undefined);
      // from here on the history is the stream as it is now
      const epoch = reply?.[0];
      this.cursor = epoch === null || epoch === undefined || reply === undefined ? undefined : point(epoch.toString(), reply[2].toString());
      this.restartFrom(this.cursor);
    }
    this.broken = false;
    this.drive();
    this.pump();
  }

  /** After a gap: forgets what belongs to another history and what the new cursor covers. */
  private restartFrom(cursor: Point | undefined): void {
    const keep = (item: Item): boolean => cursor !== undefined && item.at.epoch === cursor.epoch && compare(item.at, cursor) > 0;
    this.held = this.held.slice(this.heldStart).filter(keep);
    this.heldStart = 0;
    this.caught = [];
    this.caughtStart = 0;
    for (const group of this.groups) {
      if (group.from !== undefined && (cursor === undefined || group.from.epoch !== cursor.epoch)) group.from = cursor;
    }
    for (let i = this.waiters.length - 1; i >= 0; i--) {
      const waiter = this.waiters[i];
      if (cursor !== undefined && waiter.at.epoch === cursor.epoch) continue;
      this.waiters.splice(i, 1);
      clearTimeout(waiter.timer);
      waiter.resolve(false);
    }
  }

  private settleWaiters(): void {
    for (let i = this.waiters.length - 1; i >= 0; i--) {
      const waiter = this.waiters[i];
      if (!reached(this.cursor, waiter.at, true)) continue;
      this.waiters.splice(i, 1);
      clearTimeout(waiter.timer);
      waiter.resolve(true);
    }
  }

  /** A group stuck for GROUP_TIMEOUT_MS (its marker lost, say) is covered by a full read instead. */
  private armWatchdog(): void {
    if (this.watchdog !== undefined) return;
    this.watchdog = setTimeout(() => {
      this.watchdog = undefined;
      const oldest = this.groups[0];
      if (oldest === undefined || this.closed) return;
      if (!this.broken && Date.now() - oldest.began >= GROUP_TIMEOUT_MS) {
        this.stream.warn("rooms this node started to hear were not caught up in time; reading the stream after the cursor instead");
        this.catchUpAll();
      }
      if (this.groups.length > 0) this.armWatchdog();
    }, GROUP_TIMEOUT_MS);
    this.watchdog.unref();
  }

  private later(run: () => void): void {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      if (!this.closed) run();
    }, RETRY_MS);
    timer.unref();
    this.timers.add(timer);
  }
}

/** Whether `reply` holds every entry after `after` of its epoch. */
function complete(after: Point, reply: StreamRead): boolean {
  const [current, maxDeleted, last, first, trimmed] = reply;
  if (current === null || current.toString() !== after.epoch) return false;
  const lastAt = point(after.epoch, last.toString());
  if (lastAt === undefined || compare(after, lastAt) > 0) return false; // Redis lost entries we had
  const deleted = point(after.epoch, maxDeleted.toString());
  if (deleted !== undefined && compare(deleted, after) > 0) return false;
  const firstAt = point(after.epoch, first.toString());
  return !(trimmed > 0 && firstAt !== undefined && compare(firstAt, after) > 0);
}
