import type { Room } from "../types.js";
import { type ClusterRequest, type MembershipChange, MessageType } from "./messages.js";

/**
 * Publishes bytes on the transport. `changeId` is set on the namespace-channel publish of a
 * change whose confirmations are awaited (an emitter reads the receiver count of that PUBLISH).
 */
export type OrderedSink = (channel: string, payload: Uint8Array, volatile: boolean, changeId?: string) => void;

export interface OrderedPublisherOptions {
  /** The namespace channel: every node hears it, and changes travel on it. */
  namespaceChannel: string;
  /** The channel of a room (where its FENCE goes). */
  roomChannel: (room: Room) => string;
  /** True when the transport keeps one publisher's order across channels (bus ordering "publisher"). */
  crossChannelOrder: boolean;
  /** Rooms without a channel of their own: joining only such rooms subscribes no node to anything. */
  isPrivateRoom: (room: Room) => boolean;
  /** ms later operations are held at most while the nodes confirm a change. */
  timeout: number;
  /** Operations held at most; one more publishes all of them at once, unordered (counted). */
  maxHeld: number;
  /**
   * The uids whose confirmation a change waits for. `undefined` for an origin that keeps no node
   * registry (an emitter): the change then asks the first node that confirms for the list.
   */
  nodes: () => readonly string[] | undefined;
  /** Encodes a message; undefined when it cannot be (the caller counts that). */
  encode: (message: ClusterRequest) => Uint8Array | undefined;
  /**
   * Settles once the recoverable emits made so far were taken by the recovery store, with the
   * newest position; undefined when none is pending. A change waits for it (like a hold) and
   * carries the position (`storedThrough`).
   */
  appendsTaken?: () => Promise<string | undefined> | undefined;
  /**
   * True when later operations also travel on connections of their own (a recovery store's
   * appends), whose order with the namespace channel no transport keeps: every change is then
   * confirmed before what follows, as with "channel" ordering.
   */
  confirmEveryChange?: () => boolean;
  /** Told when an operation run by `after` once its hold ended threw. */
  onRunError?: (err: unknown) => void;
  /** Told when a hold ends without every confirmation: why, and the uids still missing. */
  onGiveUp?: (reason: "timeout" | "overflow", missing: readonly string[]) => void;
}

/** What the ordering counts; see docs/DEPLOYMENT.md, "Order of operations". */
export interface OrderingCounters {
  /** Changes after which later operations were held until the other nodes confirmed. */
  orderingHolds: number;
  /** Holds ended by `orderingTimeout` with a confirmation missing. */
  orderingTimeouts: number;
  /** Holds ended early because `maxHeldOperations` operations were waiting. */
  orderingOverflows: number;
  /** Changes that could not fence every room channel published on before them (more than MAX_FENCE_CHANNELS). */
  fenceOverflows: number;
}

/* Room channels remembered between two changes; a change past this fences only these. */
export const MAX_FENCE_CHANNELS = 1024;
/* Nodes remembered as having missed a deadline (an emitter never hears that a node left). */
const MAX_UNRESPONSIVE = 10_000;

type Held =
  | { change: MembershipChange; run?: undefined; prepared?: boolean }
  | { change?: undefined; run: () => void }
  | { change?: undefined; run?: undefined; channel: string; payload: Uint8Array; volatile: boolean; room: Room | undefined };

interface Hold {
  readonly changeId: string;
  /** Uids still to confirm; undefined until the first confirmation names them (`nodes()` undefined). */
  waiting: Set<string> | undefined;
  readonly confirmed: Set<string>;
  readonly timer: NodeJS.Timeout;
}

/**
 * One origin's publications in one namespace (a node's adapter, or an emitter), kept in the order
 * they were made on every node. Three things can break that order, and each has its answer:
 *
 * - A node subscribes to a room's channel only after applying the join that gave it a member
 *   there; a broadcast published before that SUBSCRIBE is lost to it. So after a join, later
 *   publications are held until every node confirmed it applied the join and its subscriptions
 *   are active (CHANGE_APPLIED), then published in order.
 * - With sharded pub/sub, channels live on different shards and keep no order between them: a
 *   broadcast published after a leave may arrive before it. So there every change holds later
 *   publications until confirmed, not only joins.
 * - Likewise a change may overtake the broadcasts published before it on room channels. So,
 *   sharded, each room channel published on since the previous change gets a FENCE before the
 *   change, and the change names those channels: a node applies it once the fence of each one it
 *   listens to arrived, that is after everything published there before.
 *
 * Nothing changes for a broadcast published while no change is pending: one check, then the
 * transport (plus remembering its room channel, sharded). A hold ends when every node confirmed,
 * when a node it waits for leaves, at `timeout` (counted, and that node is not waited for again
 * until it confirms something), or when `maxHeld` operations wait (counted; all are published).
 * Changes held back to back go out together and one confirmation covers them all.
 */
export class OrderedPublisher {
  readonly counters: OrderingCounters = { orderingHolds: 0, orderingTimeouts: 0, orderingOverflows: 0, fenceOverflows: 0 };
  private hold: Hold | undefined;
  private queue: Held[] = [];
  /**
   * Rooms whose channel was published on since the previous change ("channel" ordering only).
   * Rooms rather than channel names: a room name is already a key of the broadcast's room set,
   * so its hash is computed, and remembering it costs one probe; a channel name is a new string.
   */
  private readonly dirty = new Set<Room>();
  private dirtyOverflow = false;
  /** Nodes that missed a deadline; not waited for until they confirm again. */
  private readonly unresponsive = new Set<string>();
  private changeIds = 0;
  private closed = false;
  /** Room channels need fences: the transport keeps no order across channels. */
  private readonly tracksChannels: boolean;

  constructor(
    private readonly sink: OrderedSink,
    private readonly opts: OrderedPublisherOptions,
  ) {
    this.tracksChannels = !opts.crossChannelOrder;
  }

  /** Operations held now. */
  get held(): number {
    return this.queue.length;
  }

  /**
   * Publishes now, or after the change being confirmed. The fan-out hot path. `room` is set when
   * `channel` is that room's channel.
   */
  publish(channel: string, payload: Uint8Array, volatile: boolean, room?: Room): void {
    if (this.hold !== undefined) {
      this.enqueue({ channel, payload, volatile, room });
      return;
    }
    this.send(channel, payload, volatile, room);
  }

  /**
   * Runs `fn` now when nothing is held, else in order with the held operations: the other way an
   * origin's operations reach the nodes (a recovery store's appends) keeps the same order.
   */
  after(fn: () => void): void {
    if (this.hold !== undefined && !this.closed) {
      this.enqueue({ run: fn });
      return;
    }
    fn();
  }

  /**
   * Publishes a broadcast on the channels `broadcastChannels` chose for `rooms`: the namespace
   * channel alone, or each room's channel, in the order of `rooms`.
   */
  publishBroadcast(channels: readonly string[], rooms: ReadonlySet<Room>, payload: Uint8Array, volatile: boolean): void {
    if (channels.length === 1 && channels[0] === this.opts.namespaceChannel) {
      this.publish(channels[0], payload, volatile);
      return;
    }
    let i = 0;
    for (const room of rooms) this.publish(channels[i++], payload, volatile, room);
  }

  /**
   * Publishes a membership change on the namespace channel, in order with everything else, and
   * holds what follows until the nodes confirmed it when the order requires it. The message gets
   * its ordering fields (`changeId`, `fences`, `confirm`) here.
   */
  change(message: MembershipChange): void {
    if (this.closed) return;
    if (this.hold !== undefined) {
      this.enqueue({ change: message });
      return;
    }
    if (this.awaitAppends(message)) {
      this.queue.push({ change: message, prepared: true });
      return;
    }
    this.publishChange(message, this.needsConfirmation(message));
  }

  /*
   * The origin's recoverable emits travel through the recovery store on other connections: a
   * change waits until the store took those made before it, and names the newest position, so a
   * node applies it after delivering them. Holds what follows meanwhile (bounded like a hold).
   */
  private awaitAppends(message: MembershipChange): boolean {
    const taken = this.opts.appendsTaken?.();
    if (taken === undefined) return false;
    const changeId = `ready-${++this.changeIds}`;
    this.startHold(changeId, new Set());
    const done = (position?: string): void => {
      if (this.hold?.changeId !== changeId) return;
      if (position !== undefined) message.storedThrough = position;
      this.release();
    };
    taken.then(done, () => done());
    return true;
  }

  /**
   * Holds later operations until `ready` settles, at most `timeout` ms: an emitter subscribing to
   * its response channel before its first change. Does nothing while a hold is in place.
   */
  holdUntil(ready: Promise<unknown>): void {
    if (this.closed || this.hold !== undefined) return;
    const changeId = `ready-${++this.changeIds}`;
    this.startHold(changeId, new Set());
    const done = (): void => {
      if (this.hold?.changeId === changeId) this.release();
    };
    ready.then(done, done);
  }

  /** A node applied change `changeId`; `nodes` lists the nodes it knows when the change asked. */
  confirmed(from: string, changeId: string, nodes?: readonly string[]): void {
    this.unresponsive.delete(from);
    const hold = this.hold;
    if (hold === undefined || hold.changeId !== changeId) return;
    hold.confirmed.add(from);
    let waiting = hold.waiting;
    if (waiting === undefined) {
      waiting = new Set();
      hold.waiting = waiting;
      for (const uid of nodes ?? []) {
        if (!hold.confirmed.has(uid) && !this.unresponsive.has(uid)) waiting.add(uid);
      }
    }
    waiting.delete(from);
    if (waiting.size === 0) this.release();
  }

  /** The PUBLISH of change `changeId` reached no subscriber: nobody will confirm it. */
  unheard(changeId: string): void {
    if (this.hold?.changeId === changeId && this.hold.confirmed.size === 0) this.release();
  }

  /** A node left (closed, or stopped heartbeating): the hold stops waiting for it. */
  nodeGone(uid: string): void {
    this.unresponsive.delete(uid);
    const waiting = this.hold?.waiting;
    if (waiting !== undefined && waiting.delete(uid) && waiting.size === 0) this.release();
  }

  /** Publishes whatever is held at once, in order, and stops ordering. */
  close(): void {
    if (this.closed) return;
    this.drain();
    this.closed = true;
  }

  private send(channel: string, payload: Uint8Array, volatile: boolean, room: Room | undefined): void {
    if (room !== undefined && this.tracksChannels) {
      if (this.dirty.size < MAX_FENCE_CHANNELS) this.dirty.add(room);
      else if (!this.dirty.has(room)) this.dirtyOverflow = true;
    }
    this.sink(channel, payload, volatile);
  }

  /*
   * In publisher order the transport already keeps a change ahead of what follows, except that a
   * node hears a new room only once subscribed: only joins to rooms with a channel need waiting.
   */
  private needsConfirmation(message: MembershipChange): boolean {
    if (!this.opts.crossChannelOrder || this.opts.confirmEveryChange?.() === true) return true;
    if (message.type !== MessageType.SOCKETS_JOIN) return false;
    for (const room of message.rooms) if (!this.opts.isPrivateRoom(room)) return true;
    return false;
  }

  private publishChange(message: MembershipChange, confirm: boolean): void {
    const known = this.opts.nodes();
    const nodes = known === undefined || this.unresponsive.size === 0 ? known : known.filter((uid) => !this.unresponsive.has(uid));
    if (nodes !== undefined && nodes.length === 0) {
      // No other node to keep in order; what was published before is no concern of anyone.
      this.dirty.clear();
      this.dirtyOverflow = false;
      const payload = this.opts.encode(message);
      if (payload !== undefined) this.sink(this.opts.namespaceChannel, payload, false);
      return;
    }
    let changeId: string | undefined;
    if (this.dirty.size > 0 || this.dirtyOverflow) {
      changeId = String(++this.changeIds);
      // The fences go first: a node hears each one after what was published on its channel before.
      const fence = this.opts.encode({ type: MessageType.FENCE, uid: message.uid, nsp: message.nsp, changeId });
      const channels: string[] = [];
      for (const room of this.dirty) channels.push(this.opts.roomChannel(room));
      if (fence !== undefined) for (const channel of channels) this.sink(channel, fence, false);
      message.fences = channels;
      if (this.dirtyOverflow) this.counters.fenceOverflows++;
      this.dirty.clear();
      this.dirtyOverflow = false;
    }
    if (message.storedThrough !== undefined) changeId ??= String(++this.changeIds);
    if (confirm) {
      changeId ??= String(++this.changeIds);
      message.confirm = nodes === undefined ? 2 : 1;
    }
    if (changeId !== undefined) message.changeId = changeId;
    const payload = this.opts.encode(message);
    if (payload === undefined) return;
    if (confirm) this.startHold(changeId!, nodes === undefined ? undefined : new Set(nodes));
    this.sink(this.opts.namespaceChannel, payload, false, confirm ? changeId : undefined);
  }

  private startHold(changeId: string, waiting: Set<string> | undefined): void {
    if (!changeId.startsWith("ready-")) this.counters.orderingHolds++;
    const timer = setTimeout(() => this.expire(), this.opts.timeout);
    timer.unref();
    this.hold = { changeId, waiting, confirmed: new Set(), timer };
  }

  private expire(): void {
    const hold = this.hold;
    if (hold === undefined) return;
    const missing = hold.waiting === undefined ? [] : [...hold.waiting];
    if (this.unresponsive.size + missing.length > MAX_UNRESPONSIVE) this.unresponsive.clear();
    for (const uid of missing) this.unresponsive.add(uid);
    this.counters.orderingTimeouts++;
    this.opts.onGiveUp?.("timeout", missing);
    this.release();
  }

  private release(): void {
    const hold = this.hold;
    if (hold === undefined) return;
    clearTimeout(hold.timer);
    this.hold = undefined;
    this.flush();
  }

  /** Publishes what was held, in order, until a change starts the next hold. */
  private flush(): void {
    const queue = this.queue;
    let i = 0;
    while (i < queue.length && this.hold === undefined) {
      const entry = queue[i++];
      if (entry.run !== undefined) {
        this.runHeld(entry.run);
        continue;
      }
      if (entry.change === undefined) {
        this.send(entry.channel, entry.payload, entry.volatile, entry.room);
        continue;
      }
      if (entry.prepared !== true && this.awaitAppends(entry.change)) {
        // published once the store took the emits run before it
        entry.prepared = true;
        i--;
        break;
      }
      // Back-to-back changes travel together on the namespace channel; the last one's
      // confirmation means every node applied them all.
      let change = entry.change;
      let confirm = this.needsConfirmation(change);
      for (let next = queue[i]; next !== undefined && next.change !== undefined; next = queue[i]) {
        this.publishChange(change, false);
        change = next.change;
        confirm ||= this.needsConfirmation(change);
        i++;
      }
      this.publishChange(change, confirm);
    }
    this.queue = i === queue.length ? [] : queue.slice(i);
  }

  /* a held callback that throws must not stop the rest of the queue */
  private runHeld(fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.opts.onRunError?.(err);
    }
  }

  private enqueue(entry: Held): void {
    this.queue.push(entry);
    if (this.queue.length <= this.opts.maxHeld) return;
    this.counters.orderingOverflows++;
    const waiting = this.hold?.waiting;
    this.opts.onGiveUp?.("overflow", waiting === undefined ? [] : [...waiting]);
    this.drain();
  }

  /** Publishes everything held now, in order, waiting for no confirmation (overflow, close). */
  private drain(): void {
    if (this.hold !== undefined) {
      clearTimeout(this.hold.timer);
      this.hold = undefined;
    }
    const queue = this.queue;
    this.queue = [];
    for (const entry of queue) {
      if (entry.run !== undefined) this.runHeld(entry.run);
      else if (entry.change === undefined) this.send(entry.channel, entry.payload, entry.volatile, entry.room);
      else this.publishChange(entry.change, false);
    }
  }
}
