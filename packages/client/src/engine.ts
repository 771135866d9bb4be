import type { DisconnectDescription, ManagerCloseReason } from "./disconnect-reasons.js";
import { TypedEmitter } from "./typed-events.js";

/** Where an {@link Engine}'s connection is: a closed union, as Engine.IO's `readyState`. */
export type EngineReadyState = "opening" | "open" | "closed";

export interface EngineReservedEvents {
  /** The WebSocket handshake completed. */
  open: () => void;
  /** The connection ended, or never opened ("transport error" with the cause in `description.error`). */
  close: (reason: ManagerCloseReason, description?: DisconnectDescription) => void;
}

/* one frozen object shared by every engine: the transport never changes */
const WEBSOCKET = Object.freeze({ name: "websocket" as const });

/**
 * One WebSocket connection of a manager: `socket.io.engine`, with the parts of
 * socket.io-client's engine that apps read. Each (re)connection gets a new engine, so listeners
 * added to one hear about that connection only, as in socket.io-client.
 *
 * There is no Engine.IO session, hence no `id` (use `socket.id`), no upgrade and no `packet`
 * event: the only transport is the WebSocket the connection starts on.
 *
 * @example
 * ```ts
 * socket.on("connect", () => {
 *   console.log(socket.io.engine.transport.name); // "websocket"
 *   socket.io.engine.once("close", (reason) => console.log("connection closed:", reason));
 * });
 * ```
 */
export class Engine extends TypedEmitter<Record<never, never>, EngineReservedEvents> {
  /** The transport in use: always `{ name: "websocket" }`. */
  readonly transport = WEBSOCKET;
  /** "opening" while the WebSocket handshake runs, then "open", then "closed" for good. */
  readyState: EngineReadyState;
  readonly #drop: () => void;

  /** @internal `drop` lets go of the connection as a network failure would. */
  constructor(readyState: EngineReadyState, drop: () => void = () => {}) {
    super();
    this.readyState = readyState;
    this.#drop = drop;
  }

  /**
   * Drops this connection as a network failure would ("transport close"): the manager then
   * reconnects per its options, and the server keeps the session for connection-state recovery.
   * What socket.io-client apps and tests call to simulate a lost connection. No-op unless open.
   */
  close(): void {
    if (this.readyState === "open") this.#drop();
  }

  /** @internal */
  _open(): void {
    this.readyState = "open";
    this._emitReserved("open");
  }

  /** @internal */
  _close(reason: ManagerCloseReason, description?: DisconnectDescription): void {
    if (this.readyState === "closed") return;
    this.readyState = "closed";
    this._emitReserved("close", reason, description);
  }
}
