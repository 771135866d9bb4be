/** `Sec-WebSocket-Protocol` names; the version is part of the name so a v2 can coexist. */
export const Subprotocol = {
  JSON: "roomcast.v1.json",
  MSGPACK: "roomcast.v1.msgpack",
} as const;
export type Subprotocol = (typeof Subprotocol)[keyof typeof Subprotocol];

/**
 * Prefix of the optional credential subprotocol: `roomcast.auth.<base64url JSON>`. Browsers cannot
 * set headers on a WebSocket, so this is the one header they can carry a token in.
 */
export const AUTH_SUBPROTOCOL_PREFIX = "roomcast.auth.";
