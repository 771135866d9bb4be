import type { ChatSocket } from "./chat-connection.js";

/**
 * Follows the browser's own word on the network (`offline` and `online` on `window`).
 *
 * An open WebSocket does not notice that the network under it went away: only the heartbeat does,
 * up to `DEAD_CONNECTION_NOTICED_MS` later. Until then the page would look online and send its
 * requests into a dead connection, spending their resends. So when the browser says it is
 * offline the connection is dropped at once, the way a network failure drops it
 * (`socket.io.engine.close()`: "transport close", the session kept for recovery): the client
 * keeps what is written in its queue, where no resend is spent, and reconnects. When the browser
 * says it is online again the client retries at once instead of finishing its backoff wait
 * (@roomcast/client does that itself).
 *
 * `onChange` hears the browser's state first, with the initial one at once.
 */
export function watchNetwork(socket: ChatSocket, onChange: (online: boolean) => void): void {
  window.addEventListener("offline", () => {
    onChange(false);
    // No-op when no connection is open (already reconnecting, or never connected).
    socket.io.engine.close();
  });
  window.addEventListener("online", () => onChange(true));
  onChange(navigator.onLine);
}
