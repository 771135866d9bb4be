import createDebug from "debug";
import type { RedisClient } from "./redis-client.js";

/** `DEBUG=roomcast:redis` (or `roomcast:*`): the state of the adapter's Redis connections. */
export const traceRedis = createDebug("roomcast:redis");

/*
 * ioredis's connection events, in the order a connection goes through them. "reconnecting"
 * carries the delay before the next attempt (ms); "error" an Error whose message is traced (never
 * the client's options, which may hold a password).
 */
const STATE_EVENTS = ["connect", "ready", "reconnecting", "error", "close", "end"] as const;

/** Traces the state changes of `client` under `role` ("publisher", "subscriber"). */
export function traceClientStates(client: RedisClient, role: string): void {
  for (const event of STATE_EVENTS) {
    client.on(event, (detail?: unknown) => {
      if (!traceRedis.enabled) return;
      if (event === "error") traceRedis("%s: error (%s)", role, (detail as Error | undefined)?.message ?? "unknown");
      else if (event === "reconnecting") traceRedis("%s: reconnecting in %d ms", role, detail);
      else traceRedis("%s: %s (status %s)", role, event, client.status);
    });
  }
}
