/**
 * roomcast with connection-state recovery on (in-memory store, defaults otherwise): what keeping
 * a session per socket costs an idle connection, next to the roomcast row without it.
 */
import { start as startRoomcast } from "./roomcast.mjs";

export function start(config) {
  return startRoomcast(config, { connectionStateRecovery: {} });
}
