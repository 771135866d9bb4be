/*
 * `Sec-WebSocket-Protocol` names; the version is part of the name so a v2 can coexist. Each is
 * also a constant of its own, so that a bundle that needs one name (a JSON-only browser client)
 * carries that one and not the table.
 */
export const JSON_SUBPROTOCOL = "roomcast.v1.json";
export const MSGPACK_SUBPROTOCOL = "roomcast.v1.msgpack";

export const Subprotocol = {
  JSON: JSON_SUBPROTOCOL,
  MSGPACK: MSGPACK_SUBPROTOCOL,
} as const;
export type Subprotocol = (typeof Subprotocol)[keyof typeof Subprotocol];

/**
 * Prefix of the optional credential subprotocol: `roomcast.auth.<base64url JSON>`. Browsers cannot
 * set headers on a WebSocket, so this is the one header they can carry a token in.
 */
export const AUTH_SUBPROTOCOL_PREFIX = "roomcast.auth.";
