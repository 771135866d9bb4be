/**
 * What both clients (@roomcast/client and socket.io-client) offer for listening; loosely typed, so
 * that sockets typed with their own event maps fit too.
 */
interface Listenable {
  once(...args: any[]): unknown;
  off(...args: any[]): unknown;
}

/** The arguments of the next `event` on `emitter`, or a rejection after `timeoutMs`. */
export function nextEvent<T extends unknown[] = any[]>(emitter: Listenable, event: string, timeoutMs = 5000): Promise<T> {
  return new Promise((resolve, reject) => {
    const listener = (...args: unknown[]) => {
      clearTimeout(timer);
      resolve(args as T);
    };
    const timer = setTimeout(() => {
      emitter.off(event, listener);
      reject(new Error(`no "${event}" within ${timeoutMs} ms`));
    }, timeoutMs);
    emitter.once(event, listener);
  });
}

/** Resolves on `connect`; rejects with the `connect_error`, or after `timeoutMs`. */
export function connected(socket: Listenable, timeoutMs = 5000): Promise<void> {
  return new Promise((resolve, reject) => {
    const settle = (err?: Error) => {
      clearTimeout(timer);
      socket.off("connect", onConnect);
      socket.off("connect_error", settle);
      if (err) reject(err);
      else resolve();
    };
    const onConnect = () => settle();
    const timer = setTimeout(() => settle(new Error(`no "connect" within ${timeoutMs} ms`)), timeoutMs);
    socket.once("connect", onConnect);
    socket.once("connect_error", settle);
  });
}
