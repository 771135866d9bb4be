import { AUTH_SUBPROTOCOL_PREFIX, bytesToBase64 } from "@roomcast/protocol";

/** `roomcast.auth.<base64url(JSON)>`: credentials in the one header a browser WebSocket can set. */
export function authSubprotocol(auth: Record<string, unknown>): string {
  const base64 = bytesToBase64(new TextEncoder().encode(JSON.stringify(auth)));
  return AUTH_SUBPROTOCOL_PREFIX + base64.replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}
