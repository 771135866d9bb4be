import type { IncomingMessage } from "node:http";
import type { Wire } from "../dialect/wire.js";
import type { ServerMetrics } from "../metrics.js";
import type { ServerOptions } from "../server/server-options.js";
import type { Engine } from "./engine.js";

/**
 * What the HTTP edge needs from the server behind it. In a file of its own, apart from the edge
 * itself, so that the server's public declarations never reach `ws` and its types.
 */
export interface EdgeServer {
  readonly options: ServerOptions;
  readonly counters: ServerMetrics;
  readonly engine: Engine;
  /** True once `close()` began: new connections are refused with 503. */
  readonly isClosing: boolean;
  /** A transport is ready: make its Connection. */
  openConnection(wire: Wire, req: IncomingMessage, auth: Record<string, unknown> | undefined, pingFromStart: boolean, id?: string): void;
}
