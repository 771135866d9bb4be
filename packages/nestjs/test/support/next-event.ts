/** Anything with socket.io-client's `once`/`off`: both clients, and server-side sockets. */
export interface Emitter {
  once(event: string, listener: (...args: any[]) => void): unknown;
  off(event: string, listener: (...args: any[]) => void): unknown;
}

/** The arguments of the next `event`; rejects after `ms` (a lost event must fail the test, not hang it). */
export function nextEvent<T extends unknown[] = unknown[]>(emitter: Emitter, event: string, ms = 5000): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const listener = (...args: unknown[]): void => {
      clearTimeout(timer);
      resolve(args as T);
    };
    const timer = setTimeout(() => {
      emitter.off(event, listener);
      reject(new Error(`no "${event}" event within ${ms} ms`));
    }, ms);
    emitter.once(event, listener);
  });
}

/** Polls `condition` until it holds; fails after `ms`. */
export async function waitFor(condition: () => boolean, what: string, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
