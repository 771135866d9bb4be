import { CloseCode } from "@roomcast/protocol";
import type { Socket } from "../socket/socket.js";
import type { BroadcastOptions } from "../types.js";
import type { LiveSession, LiveSessionStore, RecoverySession } from "./recovery-store.js";

/** What the namespace's recovery lends the link. */
export interface LiveSessionHost {
  /** The session record of a live socket, as `persist` would keep it. */
  sessionOf(socket: Socket<any, any, any, any>, pid: string): RecoverySession;
  /** Calls `fn` for every local socket `opts` targets (sockets still being admitted included). */
  apply(opts: BroadcastOptions, fn: (socket: Socket<any, any, any, any>) => void): void;
  warn(message: string, error?: unknown): void;
  readonly stats: { resynced: number; takenOver: number };
}

/** One tracked socket; an object with two fields rather than three closures per socket. */
class TrackedSocket implements LiveSession {
  constructor(
    private readonly link: LiveSessionLink,
    readonly socket: Socket<any, any, any, any>,
    readonly pid: string,
  ) {}

  read(): RecoverySession {
    return this.link.host.sessionOf(this.socket, this.pid);
  }

  takenOver(): void {
    this.link.takenOver(this.socket, this.pid);
  }
}

/**
 * The namespace's side of live sessions: tells the store when a socket arrives and when its
 * session changes, holds the socket's connection output until a change is stored, and closes the
 * sockets the store gives up on (taken over by another node, or caught in a gap in the packet
 * history).
 */
export class LiveSessionLink {
  constructor(
    readonly store: LiveSessionStore,
    readonly host: LiveSessionHost,
  ) {}

  /** The socket was admitted (about to be registered and told CONNECTED). */
  track(socket: Socket<any, any, any, any>, resumed: RecoverySession | undefined): void {
    const pid = socket._pid;
    if (pid !== undefined) this.store.track(new TrackedSocket(this, socket, pid), resumed);
  }

  /**
   * The socket's session changed. Its connection's output waits until the change is stored: the
   * client never sees an effect of a change (an event of a room it just joined, an ack after the
   * join) that a crash of this node could still lose.
   */
  changed(socket: Socket<any, any, any, any>): void {
    const pid = socket._pid;
    if (pid === undefined || !socket.connected) return;
    const conn = socket.conn;
    conn._hold();
    this.store.changed(pid, () => conn._release());
  }

  /** The session of `pid` ends for good. */
  discard(pid: string): void {
    try {
      const done = this.store.discard(pid);
      if (done instanceof Promise) done.catch((err: unknown) => this.host.warn(`could not remove the session ${pid}`, err));
    } catch (err) {
      this.host.warn(`could not remove the session ${pid}`, err);
    }
  }

  /** Called by the store: another node resumed the session; this socket is stale. */
  takenOver(socket: Socket<any, any, any, any>, pid: string): void {
    if (socket._pid !== pid || !socket.connected) return;
    this.host.stats.takenOver++;
    // the session is another node's now: nothing of it is kept or removed from here
    socket._pid = undefined;
    socket.disconnect();
  }

  /**
   * Packets that targeted `opts` were lost to this node (a gap in the packet history that could
   * not be filled): every local socket they targeted is closed with 4005 (RESYNC) and its session
   * removed, so its client comes back with `recovered === false` and resynchronises. A socket
   * still being admitted gets a fresh session instead of its resumed one.
   */
  resync(opts: BroadcastOptions): void {
    const targeted: Socket<any, any, any, any>[] = [];
    this.host.apply(opts, (socket) => targeted.push(socket));
    for (const socket of targeted) {
      if (!socket.connected) {
        socket._heldOverflow = true;
        continue;
      }
      const pid = socket._pid;
      // no session: it is being resynchronised already (or was taken over)
      if (pid === undefined) continue;
      socket._pid = undefined;
      this.host.stats.resynced++;
      const conn = socket.conn;
      // nothing more reaches the client, so its position stays before the gap
      conn._hold();
      const close = (): void => conn.close(CloseCode.RESYNC, "recovery resync", "recovery resync");
      let done: void | Promise<void> = undefined;
      try {
        done = this.store.discard(pid);
      } catch (err) {
        this.host.warn(`could not remove the session ${pid}`, err);
      }
      if (done instanceof Promise) {
        done.then(close, (err: unknown) => {
          // the resume still fails: the client's position comes before the gap
          this.host.warn(`could not remove the session ${pid}`, err);
          close();
        });
      } else close();
    }
  }
}
