/**
 * An ioredis client, a single `Redis` or a `Cluster`, from ioredis 5 or 6: the part of it roomcast
 * calls. It is typed by shape rather than by ioredis's classes, so the client of whichever ioredis
 * the application installed fits (classes from two installed copies of ioredis never match each
 * other, since they carry private members).
 *
 * @example
 * import { Redis } from "ioredis";
 * const pubClient: RedisClient = new Redis(process.env.REDIS_URL);
 */
export interface RedisClient {
  /** ioredis's connection state; roomcast tells `"ready"` and `"wait"` (lazyConnect, not connected yet) from the rest. */
  readonly status: string;
  on(event: string, listener: (...args: any[]) => void): unknown;
  once(event: string, listener: (...args: any[]) => void): unknown;
  listenerCount(event: string): number;
  publish(channel: string, message: Buffer): Promise<unknown>;
  spublish(channel: string, message: Buffer): Promise<unknown>;
  subscribe(channel: string): Promise<unknown>;
  ssubscribe(channel: string): Promise<unknown>;
  unsubscribe(channel: string): Promise<unknown>;
  sunsubscribe(channel: string): Promise<unknown>;
  /** `SET key value PX milliseconds`. */
  set(key: string, value: Buffer, expiryMode: "PX", milliseconds: number): Promise<unknown>;
  getdelBuffer(key: string): Promise<Buffer | null>;
  /** Registers a Lua script as a method (EVALSHA, falling back to EVAL). */
  defineCommand(name: string, definition: { lua: string; numberOfKeys?: number }): void;
  /** Opens the connection of a client created with `lazyConnect` (status `"wait"`). */
  connect?(): Promise<unknown>;
  /** A new connection with the same options (for a subscriber). */
  duplicate(): RedisClient;
  disconnect(): void;
}
