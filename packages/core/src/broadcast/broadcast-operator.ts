import { ErrorCode, PacketType, RESERVED_EVENTS, RoomcastError, type EventPacket } from "@roomcast/protocol";
import type { Adapter } from "./adapter.js";
import { AckTimeoutError } from "../acks/ack-registry.js";
import type { ServerMetrics } from "../metrics.js";
import { OutgoingPacket } from "../dialect/outgoing-packet.js";
import { RemoteSocketHandle, type RemoteSocket } from "./remote-socket.js";
import { traceSocket } from "../trace.js";
import type {
  AllButLast,
  DecorateAcknowledgementsWithTimeoutAndMultipleResponses,
  EventNames,
  EventNamesWithAck,
  EventParams,
  EventsMap,
  Last,
  SecondArg,
} from "../typed-events.js";
import type { BroadcastFlags, BroadcastOptions, Room } from "../types.js";

/** Where a namespace with connection-state recovery sends broadcasts it must be able to replay. */
export interface ReplayableBroadcasts {
  /** Stamps `data` with a stream position, keeps it, then delivers it to `opts`' sockets. */
  emit(data: unknown[], opts: BroadcastOptions): void;
}

/** What a broadcast needs from the namespace it runs in. */
export interface BroadcastHost {
  readonly name: string;
  readonly adapter: Adapter;
  readonly counters: ServerMetrics;
  nextAckId(): number;
  /** Set when the namespace has connection-state recovery: recoverable packets go through it. */
  readonly recovery?: ReplayableBroadcasts;
  /** Reports an error thrown by application code (an ack callback). */
  reportError(err: unknown): void;
}

const NO_ROOMS: ReadonlySet<Room> = new Set();
const NO_FLAGS: Readonly<BroadcastFlags> = Object.freeze({});

export function assertNotReserved(ev: unknown): void {
  if (typeof ev !== "string") throw new TypeError("event name must be a string");
  if (RESERVED_EVENTS.has(ev) || ev === "error") {
    throw new RoomcastError(ErrorCode.RESERVED_EVENT, `"${ev}" is a reserved event name`);
  }
}

function addRooms(base: ReadonlySet<Room>, room: Room | readonly Room[]): Set<Room> {
  const rooms = new Set(base);
  if (typeof room === "string") rooms.add(room);
  else for (const r of room) rooms.add(r);
  return rooms;
}

/**
 * An immutable description of "these sockets, with these flags": `to`, `except`, `timeout`… each
 * return a new operator, so a shared operator can never leak a room into another emit.
 *
 * A broadcast builds one OutgoingPacket and hands it to the adapter; every recipient with the
 * same codec gets the same encoded frame.
 *
 * @example
 * io.to("lobby").except("muted").emit("chat", text);
 * const votes = await io.to("jury").timeout(5000).emitWithAck("vote");
 */
export class BroadcastOperator<EmitEvents extends EventsMap, SocketData = any> {
  constructor(
    private readonly host: BroadcastHost,
    private readonly rooms: ReadonlySet<Room> = NO_ROOMS,
    private readonly exceptRooms: ReadonlySet<Room> = NO_ROOMS,
    private readonly flags: Readonly<BroadcastFlags> = NO_FLAGS,
  ) {}

  /** Targets members of `room` (added to any rooms already targeted: a union). */
  to(room: Room | readonly Room[]): BroadcastOperator<EmitEvents, SocketData> {
    return new BroadcastOperator(this.host, addRooms(this.rooms, room), this.exceptRooms, this.flags);
  }

  /** Same as `to`. */
  in(room: Room | readonly Room[]): BroadcastOperator<EmitEvents, SocketData> {
    return this.to(room);
  }

  /** Leaves out members of `room`. */
  except(room: Room | readonly Room[]): BroadcastOperator<EmitEvents, SocketData> {
    return new BroadcastOperator(this.host, this.rooms, addRooms(this.exceptRooms, room), this.flags);
  }

  /** Recipients that are congested or disconnected skip the packet (counted in `metrics.volatileDrops`). */
  get volatile(): BroadcastOperator<EmitEvents, SocketData> {
    return this.withFlags({ volatile: true });
  }

  /** Only sockets of this node, never through the cluster. */
  get local(): BroadcastOperator<EmitEvents, SocketData> {
    return this.withFlags({ local: true });
  }

  /** Whether to deflate (only on connections that negotiated permessage-deflate). */
  compress(compress: boolean): BroadcastOperator<EmitEvents, SocketData> {
    return this.withFlags({ compress });
  }

  /** Waits at most `ms` for the acks of the next emit; the callback then gets `(err, replies[])`. */
  timeout(ms: number): BroadcastOperator<DecorateAcknowledgementsWithTimeoutAndMultipleResponses<EmitEvents>, SocketData> {
    return this.withFlags({ timeout: ms }) as never;
  }

  private withFlags(flags: BroadcastFlags): BroadcastOperator<EmitEvents, SocketData> {
    return new BroadcastOperator(this.host, this.rooms, this.exceptRooms, { ...this.flags, ...flags });
  }

  /** One line per broadcast, never one per recipient. */
  private trace(what: string): void {
    const rooms = this.rooms.size === 0 ? "every socket" : [...this.rooms].join(", ");
    const except = this.exceptRooms.size === 0 ? "" : ` except ${[...this.exceptRooms].join(", ")}`;
    traceSocket("broadcast %s in %s to %s%s", what, this.host.name, rooms, except);
  }

  private options(): BroadcastOptions {
    return { rooms: this.rooms as Set<Room>, except: this.exceptRooms as Set<Room>, flags: this.flags };
  }

  /**
   * Sends an event to every targeted socket. With a trailing callback, the callback receives
   * `(err, replies)`: `err` is an AckTimeoutError (ERR_ACK_TIMEOUT, "operation has timed out",
   * with `err.responses`) when some recipient did not answer within `timeout(ms)`. Without
   * `timeout(ms)` the wait is 0 ms, as in Socket.IO 4.8: the callback gets that error on the next
   * timer turn, or `(null, [])` when no socket was targeted.
   */
  emit<Ev extends EventNames<EmitEvents>>(ev: Ev, ...args: EventParams<EmitEvents, Ev>): boolean {
    assertNotReserved(ev);
    const data: unknown[] = [ev, ...args];
    const last = data[data.length - 1];
    if (traceSocket.enabled) this.trace(typeof last === "function" ? "EVENT_WITH_ACK" : "EVENT");
    if (typeof last !== "function") {
      const recovery = this.host.recovery;
      if (recovery !== undefined && this.flags.volatile !== true) {
        // stamped once for all recipients; volatile packets are never kept nor replayed
        recovery.emit(data, this.options());
        return true;
      }
      const packet: EventPacket = { type: PacketType.EVENT, nsp: this.host.name, data };
      this.host.adapter.broadcast(new OutgoingPacket(packet), this.options());
      return true;
    }
    data.pop();
    this.emitWithAcks(data, last as (err: Error | null, replies: unknown[]) => void);
    return true;
  }

  /**
   * Promise form of a broadcast with acks: resolves to every recipient's reply, rejects with an
   * AckTimeoutError (ERR_ACK_TIMEOUT) after `timeout(ms)`, at once without it (see `emit`).
   */
  emitWithAck<Ev extends EventNamesWithAck<EmitEvents>>(
    ev: Ev,
    ...args: AllButLast<EventParams<EmitEvents, Ev>>
  ): Promise<SecondArg<Last<EventParams<EmitEvents, Ev>>>> {
    return new Promise((resolve, reject) => {
      try {
        assertNotReserved(ev);
        if (traceSocket.enabled) this.trace("EVENT_WITH_ACK");
        this.emitWithAcks([ev, ...args], (err, replies) => (err ? reject(err) : resolve(replies as never)));
      } catch (err) {
        reject(err);
      }
    });
  }

  /*
   * Completion: every node reports how many sockets it sent to (clientCountCallback); the
   * broadcast is complete once all `serverCount()` nodes reported and that many replies arrived.
   */
  private emitWithAcks(data: unknown[], callback: (err: Error | null, replies: unknown[]) => void): void {
    // Without timeout(ms), Socket.IO 4.8 arms its timer with no delay: the callback gets
    // "operation has timed out" on the next timer turn, unless no socket was targeted (then
    // `(null, [])`, since the count of zero arrives first). Same here, through the same path.
    const timeout = this.flags.timeout ?? 0;
    const opts = this.flags.timeout === undefined ? { ...this.options(), flags: { ...this.flags, timeout } } : this.options();
    const host = this.host;
    const id = host.nextAckId();
    const packet: EventPacket = { type: PacketType.EVENT, nsp: host.name, data, id };
    const responses: unknown[] = [];
    let expectedServers = -1;
    let reportedServers = 0;
    let expectedClients = 0;
    let done = false;
    const finish = (err: Error | null): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      try {
        callback(err, responses);
      } catch (thrown) {
        host.reportError(thrown);
      }
    };
    const check = (): void => {
      if (!done && expectedServers >= 0 && reportedServers >= expectedServers && responses.length >= expectedClients) {
        finish(null);
      }
    };
    const timer = setTimeout(() => {
      host.counters.ackTimeouts++;
      finish(new AckTimeoutError(responses));
    }, timeout);
    timer.unref();
    host.adapter.serverCount().then(
      (count) => {
        expectedServers = count;
        check();
      },
      () => finish(new AckTimeoutError(responses)),
    );
    host.adapter.broadcastWithAck(
      new OutgoingPacket(packet),
      opts,
      (clientCount) => {
        reportedServers++;
        expectedClients += clientCount;
        check();
      },
      (...reply) => {
        if (done) return;
        responses.push(reply[0]);
        check();
      },
    );
  }

  /** The targeted sockets: live Socket objects on this node, handles for sockets on other nodes. */
  async fetchSockets(): Promise<RemoteSocket<EmitEvents, SocketData>[]> {
    const found = await this.host.adapter.fetchSockets(this.options());
    return found.map((details) =>
      typeof (details as { emit?: unknown }).emit === "function"
        ? (details as unknown as RemoteSocket<EmitEvents, SocketData>)
        : new RemoteSocketHandle<EmitEvents, SocketData>(details, new BroadcastOperator(this.host, new Set([details.id]))),
    );
  }

  /** Makes the targeted sockets join `room`. */
  socketsJoin(room: Room | readonly Room[]): void {
    this.host.adapter.addSockets(this.options(), typeof room === "string" ? [room] : [...room]);
  }

  /** Makes the targeted sockets leave `room`. */
  socketsLeave(room: Room | readonly Room[]): void {
    this.host.adapter.delSockets(this.options(), typeof room === "string" ? [room] : [...room]);
  }

  /** Disconnects the targeted sockets; with `close`, their whole connections. */
  disconnectSockets(close = false): void {
    this.host.adapter.disconnectSockets(this.options(), close);
  }
}
