import { io, type ClientOptions } from "../../src/index.js";
import type { Socket } from "../../src/socket.js";

/** Creates clients and closes every one of them (and their managers) in `closeAll`. */
export class ClientPool {
  private readonly sockets: Socket<any, any>[] = [];

  connect(url: string, opts: ClientOptions = {}): Socket<any, any> {
    // forceNew by default: tests must not share managers through the module-level cache
    const socket = io(url, { forceNew: true, reconnectionDelay: 50, reconnectionDelayMax: 200, ...opts });
    this.sockets.push(socket);
    return socket;
  }

  /** Registers a socket created elsewhere for cleanup. */
  track<T extends Socket<any, any>>(socket: T): T {
    this.sockets.push(socket);
    return socket;
  }

  closeAll(): void {
    for (const socket of this.sockets.splice(0)) {
      socket.disconnect();
      socket.io.close();
    }
  }
}

/** Resolves with the arguments of the next `event` from `emitter`, or rejects after `ms`. */
export function once<T extends unknown[] = any[]>(
  emitter: { once(ev: any, fn: (...args: any[]) => void): unknown; off(ev: any, fn: any): unknown },
  event: string,
  ms = 5000,
): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      emitter.off(event, listener);
      reject(new Error(`timed out waiting for "${event}"`));
    }, ms);
    const listener = (...args: any[]) => {
      clearTimeout(timer);
      resolve(args as T);
    };
    emitter.once(event, listener);
  });
}

/** Polls `condition` until it holds or `ms` pass. */
export async function waitFor(condition: () => boolean, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
