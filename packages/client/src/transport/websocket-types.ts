/**
 * The contract both WebSocket transports implement. `#websocket` resolves to the Node one (the
 * `ws` package) or the browser one (global WebSocket) through package.json `imports` conditions.
 */

/**
 * Callbacks a transport reports to (members `_`-named, so the browser bundle shortens them). The owner ignores those of a transport it has let go of
 * (the manager tags each WebSocket with a generation), so transports need no guard of their own.
 * Call them as methods of this object (`handlers._onMessage(data)`): the manager's frame handler
 * is a function all connections share, which finds its connection through `this`.
 */
export interface TransportHandlers {
  /** The handshake completed; `protocol` is the subprotocol the server selected ("" if none). */
  _onOpen(protocol: string): void;
  /** A text frame (string) or a binary frame (Uint8Array). */
  _onMessage(data: string | Uint8Array): void;
  _onClose(code: number, reason: string): void;
  /**
   * Before the handshake completes, an error whose message says what failed and where
   * (for example the HTTP status that refused the upgrade), with the original error as `cause`.
   */
  _onError(error: Error): void;
}

/**
 * Certificate or key material as Node's `tls.connect` takes it: PEM text, DER bytes (a
 * `Buffer` is a Uint8Array), or a list of them (`key` and `pfx` lists may also hold
 * `{ pem | buf, passphrase }` objects). Typed without Node's types so browser projects compile.
 */
export type TlsMaterial = string | Uint8Array | ReadonlyArray<string | Uint8Array | object>;

/**
 * Options a transport reads. Everything but `extraHeaders` is Node-only and goes to `ws` as it
 * is; in a browser the WebSocket uses the browser's own TLS and proxy settings, so building a
 * client with any of them there throws a TypeError (see `checkTransportOption`).
 */
export interface TransportOptions {
  /** Extra HTTP headers on the upgrade request. Node only: browsers cannot set them (ignored there). */
  extraHeaders?: Record<string, string>;
  /** Node only. CA certificate(s) the server's certificate must chain to, instead of Node's bundled roots. */
  ca?: TlsMaterial;
  /** Node only. Client certificate chain for mutual TLS. */
  cert?: TlsMaterial;
  /** Node only. Private key(s) of the client certificate. */
  key?: TlsMaterial;
  /** Node only. PKCS#12 bundle with the client key and certificate (instead of `key` + `cert`). */
  pfx?: TlsMaterial;
  /** Node only. Passphrase of `key` or `pfx`. */
  passphrase?: string;
  /** Node only. OpenSSL cipher list, e.g. "TLS_AES_256_GCM_SHA384". */
  ciphers?: string;
  /**
   * Node only. `false` accepts a server certificate that does not verify (self-signed, expired,
   * wrong host): for tests and development, never in production. Default: true.
   */
  rejectUnauthorized?: boolean;
  /**
   * Node only. The `http.Agent` / `https.Agent` that makes the upgrade request (a proxy agent,
   * for instance), or `false` for none (the default). The agent's own TLS options apply.
   */
  agent?: object | false;
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

/**
 * Checks one Node-only option (a key of {@link TransportOptions} other than `extraHeaders`)
 * whose value is not undefined. On Node: throws a TypeError naming the option when the value
 * has the wrong type. In a browser: always throws a TypeError, since the option cannot apply.
 */
export declare const checkTransportOption: (name: string, value: unknown) => void;

/**
 * When a frame arrived, in ms since the epoch, for the heartbeat watchdog. On Node, Date.now() as
 * read at the first frame of the current event-loop turn (one clock read per turn, not per frame);
 * in a browser, Date.now() itself, since its 0 ms timers can be held back for seconds in a hidden tab.
 */
export declare const frameTime: () => number;
