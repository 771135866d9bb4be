/**
 * roomcast serving Socket.IO's own protocol (Engine.IO v4 + Socket.IO v5 at /socket.io/), set up
 * as roomcast.mjs with the one option a migrating user adds. Its load clients speak the same
 * frames as Socket.IO's, so this system and Socket.IO differ only in the server.
 */
import { start as startRoomcast } from "./roomcast.mjs";

export function start(config) {
  return startRoomcast(config, { socketio: true });
}
