import { io as roomcastIo } from "@roomcast/client";
import { io as socketIoIo } from "socket.io-client";

/** What the tests use of a client; @roomcast/client and socket.io-client both have it. */
export interface ChatClient {
  readonly id: string | undefined;
  on(event: string, listener: (...args: any[]) => void): unknown;
  once(event: string, listener: (...args: any[]) => void): unknown;
  off(event: string, listener: (...args: any[]) => void): unknown;
  emit(event: string, ...args: unknown[]): unknown;
  timeout(ms: number): { emitWithAck(event: string, ...args: unknown[]): Promise<any> };
  disconnect(): unknown;
}

export interface ClientKind {
  name: string;
  open(url: string, auth: Record<string, unknown>): ChatClient;
}

export const CLIENTS: ClientKind[] = [
  { name: "@roomcast/client", open: (url, auth) => roomcastIo(url, { forceNew: true, reconnection: false, auth }) as unknown as ChatClient },
  // its defaults: long-polling first, then the upgrade to WebSocket
  { name: "socket.io-client", open: (url, auth) => socketIoIo(url, { forceNew: true, reconnection: false, auth }) as unknown as ChatClient },
];

/** The arguments of the next `event`; rejects after `ms`. */
export function nextEvent<T extends unknown[] = unknown[]>(client: ChatClient, event: string, ms = 5000): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const listener = (...args: unknown[]): void => {
      clearTimeout(timer);
      resolve(args as T);
    };
    const timer = setTimeout(() => {
      client.off(event, listener);
      reject(new Error(`no "${event}" within ${ms} ms`));
    }, ms);
    client.once(event, listener);
  });
}
