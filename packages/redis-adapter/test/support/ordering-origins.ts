import type { Emitter } from "../../src/index.js";
import type { OrderingCluster } from "./ordering-cluster.js";

/** Operations on one socket (by id) and on rooms, all made by one origin. */
export interface OriginOps {
  join(room: string): void;
  leave(room: string): void;
  disconnect(): void;
  emit(room: string, event: string, arg: unknown): void;
}

/** The three kinds of origin: a node's `io`, a RemoteSocket from `fetchSockets`, an Emitter. */
export type OriginKind = "io" | "RemoteSocket" | "Emitter";

/**
 * The operations of `kind` on socket `id`, made from node 0 (io, RemoteSocket) or from `emitter`.
 * A RemoteSocket's emits to rooms go through the io of the node that fetched it: one origin.
 */
export async function originOps(kind: OriginKind, cluster: OrderingCluster, emitter: Emitter, id: string): Promise<OriginOps> {
  const io = cluster.nodes[0].io;
  switch (kind) {
    case "io":
      return {
        join: (room) => io.in(id).socketsJoin(room),
        leave: (room) => io.in(id).socketsLeave(room),
        disconnect: () => io.in(id).disconnectSockets(),
        emit: (room, event, arg) => io.to(room).emit(event as never, arg as never),
      };
    case "RemoteSocket": {
      const [handle] = await io.in(id).fetchSockets();
      if (handle === undefined) throw new Error(`socket ${id} not found through fetchSockets`);
      return {
        join: (room) => handle.join(room),
        leave: (room) => handle.leave(room),
        disconnect: () => handle.disconnect(),
        emit: (room, event, arg) => io.to(room).emit(event as never, arg as never),
      };
    }
    case "Emitter":
      return {
        join: (room) => emitter.in(id).socketsJoin(room),
        leave: (room) => emitter.in(id).socketsLeave(room),
        disconnect: () => emitter.in(id).disconnectSockets(),
        emit: (room, event, arg) => emitter.to(room).emit(event, arg),
      };
  }
}
