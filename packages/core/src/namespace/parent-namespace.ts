import type { Packet } from "@roomcast/protocol";
import { Adapter, type AdapterNamespace, type SocketDetails } from "../broadcast/adapter.js";
import { Namespace, type ChildNamespaceOwner, type NamespaceHost } from "./namespace.js";
import { OutgoingPacket } from "../dialect/outgoing-packet.js";
import type { DefaultEventsMap, EventsMap } from "../typed-events.js";
import type { BroadcastOptions, Room, SocketId } from "../types.js";

/** Decides whether a namespace name belongs to a dynamic namespace: `next(err, allowed)`. */
export type NamespaceMatcher = (
  name: string,
  auth: Record<string, unknown>,
  next: (err: Error | null, allowed: boolean) => void,
) => void;

/** Gives each child a copy of the packet addressed to the child's name. */
function retarget(packet: OutgoingPacket, name: string): OutgoingPacket {
  return new OutgoingPacket({ ...packet.packet, nsp: name } as Packet);
}

/**
 * The adapter of a dynamic namespace: every operation fans out to the children's adapters, one
 * encoded packet per child namespace.
 */
class FanOutAdapter extends Adapter {
  constructor(
    nsp: AdapterNamespace,
    private readonly children: () => Iterable<Namespace<any, any, any, any>>,
  ) {
    super(nsp);
  }

  override async serverCount(): Promise<number> {
    // Each child adapter reports once per node, so the expected number of reports is their sum.
    let total = 0;
    for (const child of this.children()) total += await child.adapter.serverCount();
    return total;
  }

  override sockets(rooms: Set<Room>): Promise<Set<SocketId>> {
    return Promise.all([...this.children()].map((child) => child.adapter.sockets(rooms))).then((sets) => {
      const ids = new Set<SocketId>();
      for (const set of sets) for (const id of set) ids.add(id);
      return ids;
    });
  }

  override broadcast(packet: OutgoingPacket, opts: BroadcastOptions): void {
    for (const child of this.children()) child.adapter.broadcast(retarget(packet, child.name), opts);
  }

  override broadcastWithAck(
    packet: OutgoingPacket,
    opts: BroadcastOptions,
    clientCountCallback: (clientCount: number) => void,
    ack: (...args: unknown[]) => void,
  ): void {
    for (const child of this.children()) {
      child.adapter.broadcastWithAck(retarget(packet, child.name), opts, clientCountCallback, ack);
    }
  }

  override async fetchSockets(opts: BroadcastOptions): Promise<SocketDetails[]> {
    const all = await Promise.all([...this.children()].map((child) => child.adapter.fetchSockets(opts)));
    return all.flat();
  }

  override addSockets(opts: BroadcastOptions, rooms: Room[]): void {
    for (const child of this.children()) child.adapter.addSockets(opts, rooms);
  }

  override delSockets(opts: BroadcastOptions, rooms: Room[]): void {
    for (const child of this.children()) child.adapter.delSockets(opts, rooms);
  }

  override disconnectSockets(opts: BroadcastOptions, close: boolean): void {
    for (const child of this.children()) child.adapter.disconnectSockets(opts, close);
  }
}

let parentCount = 0;

/**
 * A dynamic namespace, `io.of(/^\/team-\d+$/)` or `io.of((name, auth, next) => …)`: children are
 * created on the first CONNECT to a matching name. Middleware and "connection" listeners added
 * here apply to every child; emitting here reaches every child.
 */
export class ParentNamespace<
  ListenEvents extends EventsMap = DefaultEventsMap,
  EmitEvents extends EventsMap = ListenEvents,
  ServerSideEvents extends EventsMap = DefaultEventsMap,
  SocketData = any,
>
  extends Namespace<ListenEvents, EmitEvents, ServerSideEvents, SocketData>
  implements ChildNamespaceOwner
{
  readonly children = new Set<Namespace<ListenEvents, EmitEvents, ServerSideEvents, SocketData>>();

  constructor(
    server: NamespaceHost,
    readonly matcher: NamespaceMatcher,
  ) {
    super(server, `/_${++parentCount}`);
  }

  /** Packets sent through a parent reach its children unstamped: recovery lives in each child. */
  protected override createRecovery(): undefined {
    return undefined;
  }

  override initAdapter(): void {
    this.adapter = new FanOutAdapter(this, () => this.children);
  }

  /** Creates the child namespace `name` (the server registers it). */
  createChild(name: string): Namespace<ListenEvents, EmitEvents, ServerSideEvents, SocketData> {
    const child = new Namespace<ListenEvents, EmitEvents, ServerSideEvents, SocketData>(this.server, name, this);
    this.children.add(child);
    return child;
  }

  /**
   * Drops an emptied child (option `cleanupEmptyChildNamespaces`): it leaves `children` (so
   * broadcasts here no longer reach it), its adapter and recovery store are closed, and the
   * server forgets it. Its recovery sessions go with it, as in Socket.IO, unless the store keeps
   * them elsewhere (Redis): the re-created child then finds them.
   */
  removeChild(child: Namespace<any, any, any, any>): void {
    if (!this.children.delete(child)) return;
    this.server._removeNamespace(child);
    const logger = this.server.options.logger;
    void Promise.resolve()
      .then(() => child.adapter.close())
      .then(() => child.recovery?.close())
      .catch((err) => logger.error(`closing the adapter of ${child.name} failed`, err));
  }

  /** Tests `name` with the matcher; errors and throws count as "no match". */
  matches(name: string, auth: Record<string, unknown>, done: (allowed: boolean) => void): void {
    let answered = false;
    try {
      this.matcher(name, auth, (err, allowed) => {
        if (answered) return;
        answered = true;
        done(!err && allowed);
      });
    } catch {
      if (!answered) {
        answered = true;
        done(false);
      }
    }
  }
}
