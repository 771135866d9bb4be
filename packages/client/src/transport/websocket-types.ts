/**
 * The contract both WebSocket transports implement. `#websocket` resolves to the Node one (the
 * `ws` package) or the browser one (global WebSocket) through package.json `imports` conditions.
 */

/**
 * Callbacks a transport reports to (members `_`-named, so the browser bundle shortens them). The owner ignores those of a transport it has let go of
 * (the manager tags each WebSocket with a generation), so transports need no guard of their own.
 */
export interface TransportHandlers {
  /** The handshake completed; `protocol` is the subprotocol the server selected ("" if none). */
  _onOpen(protocol: string): void;
  /** A text frame (string) or a binary frame (Uint8Array). */
  _onMessage(data: string | Uint8Array): void;
  _onClose(code: number, reason: string): void;
  _onError(error: Error): void;
}

export interface TransportOptions {
  /** Extra HTTP headers on the upgrade request. Node only: browsers cannot set them. */
  extraHeaders?: Record<string, string>;
}

/** One WebSocket connection. */
export interface Transport {
  _send(data: string | Uint8Array): void;
  /**
   * With a `code`, starts the closing handshake (or aborts a pending open). Without one, drops
   * the connection at once: the peer may be gone.
   */
  _close(code?: number, reason?: string): void;
}

export type OpenWebSocket = (
  url: string,
  protocols: string[],
  options: TransportOptions,
  handlers: TransportHandlers,
) => Transport;

/** Opens a WebSocket to `url` offering `protocols`. */
export declare const openWebSocket: OpenWebSocket;
