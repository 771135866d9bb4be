/**
 * The timing both sides of the chat's connection agree on: how fast the server notices a dead
 * connection, and how long the page keeps resending a request before it gives up. They are
 * chosen together, so they live together.
 */

/** The server pings every this many ms (roomcast's default, as Engine.IO's). */
export const PING_INTERVAL_MS = 25_000;
/** …and the page drops a connection that stayed silent this much longer. */
export const PING_TIMEOUT_MS = 20_000;
/**
 * The longest a connection can look alive after the network under it died without a word (a
 * cable pulled, a phone that left the Wi-Fi): `pingInterval + pingTimeout` of silence.
 */
export const DEAD_CONNECTION_NOTICED_MS = PING_INTERVAL_MS + PING_TIMEOUT_MS;

/** How long one attempt of a request waits for the server's answer before it is sent again. */
export const ACK_TIMEOUT_MS = 5000;
/**
 * Resends of an unanswered request. Resends count only while connected (ack timeouts, and a
 * connection that drops with the request on it); nothing counts while the page is offline. So
 * the budget has to outlast one dead connection that nobody noticed yet: the attempts spent on
 * it until the heartbeat notices (`DEAD_CONNECTION_NOTICED_MS / ACK_TIMEOUT_MS`, 9), the one the
 * drop itself costs, and the one that goes through after the reconnect, plus one to spare.
 */
export const RETRIES = Math.ceil(DEAD_CONNECTION_NOTICED_MS / ACK_TIMEOUT_MS) + 2;
