/**
 * Every stable code roomcast speaks: WebSocket close codes and error codes. docs/ERRORS.md
 * documents each one and a test keeps the two in agreement.
 */

/** WebSocket close codes the server and client use. 4000-4999 are roomcast's own. */
export const CloseCode = {
  NORMAL: 1000,
  GOING_AWAY: 1001,
  PROTOCOL_ERROR: 1002,
  UNSUPPORTED_DATA: 1003,
  INVALID_PAYLOAD: 1007,
  POLICY_VIOLATION: 1008,
  MESSAGE_TOO_BIG: 1009,
  INTERNAL_ERROR: 1011,
  SERVICE_RESTART: 1012,
  TRY_AGAIN_LATER: 1013,
  SLOW_CONSUMER: 4000,
  HEARTBEAT_TIMEOUT: 4001,
  CONNECT_TIMEOUT: 4002,
  RATE_LIMITED: 4003,
  LIMIT_EXCEEDED: 4004,
  RESYNC: 4005,
} as const;
export type CloseCode = (typeof CloseCode)[keyof typeof CloseCode];

/** Error codes carried by `err.code` on errors roomcast raises or sends. */
export const ErrorCode = {
  INVALID_PACKET: "ERR_INVALID_PACKET",
  INVALID_PAYLOAD: "ERR_INVALID_PAYLOAD",
  UNSUPPORTED_DATA: "ERR_UNSUPPORTED_DATA",
  MESSAGE_TOO_BIG: "ERR_MESSAGE_TOO_BIG",
  UNKNOWN_NAMESPACE: "ERR_UNKNOWN_NAMESPACE",
  MIDDLEWARE_REJECTED: "ERR_MIDDLEWARE_REJECTED",
  CONNECT_TIMEOUT: "ERR_CONNECT_TIMEOUT",
  HEARTBEAT_TIMEOUT: "ERR_HEARTBEAT_TIMEOUT",
  ACK_TIMEOUT: "ERR_ACK_TIMEOUT",
  ACK_CANCELLED: "ERR_ACK_CANCELLED",
  PARTIAL_RESPONSE: "ERR_PARTIAL_RESPONSE",
  SLOW_CONSUMER: "ERR_SLOW_CONSUMER",
  RATE_LIMITED: "ERR_RATE_LIMITED",
  TOO_MANY_NAMESPACES: "ERR_TOO_MANY_NAMESPACES",
  TOO_MANY_ROOMS: "ERR_TOO_MANY_ROOMS",
  TOO_MANY_PENDING_ACKS: "ERR_TOO_MANY_PENDING_ACKS",
  TOO_MANY_PENDING_REQUESTS: "ERR_TOO_MANY_PENDING_REQUESTS",
  TOO_MANY_PENDING_EMITS: "ERR_TOO_MANY_PENDING_EMITS",
  REPLY_TOO_LARGE: "ERR_REPLY_TOO_LARGE",
  TOO_MANY_CONNECTIONS: "ERR_TOO_MANY_CONNECTIONS",
  ORIGIN_REJECTED: "ERR_ORIGIN_REJECTED",
  REQUEST_REJECTED: "ERR_REQUEST_REJECTED",
  SERVER_CLOSED: "ERR_SERVER_CLOSED",
  RESERVED_EVENT: "ERR_RESERVED_EVENT",
  TOO_MANY_PACKETS: "ERR_TOO_MANY_PACKETS",
  TOO_MANY_ATTACHMENTS: "ERR_TOO_MANY_ATTACHMENTS",
  UNKNOWN_TRANSPORT: "ERR_UNKNOWN_TRANSPORT",
  UNKNOWN_SID: "ERR_UNKNOWN_SID",
  BAD_HANDSHAKE_METHOD: "ERR_BAD_HANDSHAKE_METHOD",
  BAD_REQUEST: "ERR_BAD_REQUEST",
  UNSUPPORTED_PROTOCOL_VERSION: "ERR_UNSUPPORTED_PROTOCOL_VERSION",
  UNSUPPORTED_SUBPROTOCOL: "ERR_UNSUPPORTED_SUBPROTOCOL",
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/** An error with a stable `code`; `closeCode` is set when the error ends the connection. */
export class RoomcastError extends Error {
  readonly code: ErrorCode;
  readonly closeCode: CloseCode | undefined;
  data?: unknown;

  constructor(code: ErrorCode, message: string, closeCode?: CloseCode, data?: unknown) {
    super(message);
    this.name = "RoomcastError";
    this.code = code;
    this.closeCode = closeCode;
    if (data !== undefined) this.data = data;
  }
}

/** Raised by a codec for input that is not a valid packet; the connection closes with `closeCode`. */
export class ProtocolError extends RoomcastError {
  // Literals (checked against the unions) rather than the tables above: a browser bundle that
  // only decodes then leaves the tables out.
  constructor(message: string, code: ErrorCode = "ERR_INVALID_PACKET", closeCode: CloseCode = 1002) {
    super(code, message, closeCode);
    this.name = "ProtocolError";
  }
}
