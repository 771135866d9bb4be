import type { NamespaceMatcher, Server, ServerOptionsInput } from "@roomcast/core";

/**
 * What `@WebSocketGateway(port, options)` hands to the adapter: roomcast's server options (Socket.IO's
 * names included, see `ServerOptionsInput`) and Nest's `namespace`. Give it as the decorator's type
 * argument to have the options checked at compile time too:
 *
 * @example
 * @WebSocketGateway<RoomcastGatewayOptions>({ namespace: "chat", maxBufferedBytes: 512 * 1024 })
 */
export interface RoomcastGatewayOptions extends ServerOptionsInput {
  /** The gateway's namespace: a name ("chat" and "/chat" are the same), a RegExp or a matcher (dynamic namespaces). */
  namespace?: string | RegExp | NamespaceMatcher;
  /** Set by Nest, not by apps: the server a namespaced gateway joins when another gateway created it first. */
  server?: Server<any, any, any, any>;
}

/** A gateway's options, split into Nest's routing keys and the options of a roomcast Server. */
export interface SplitGatewayOptions {
  namespace: string | RegExp | NamespaceMatcher | undefined;
  server: Server<any, any, any, any> | undefined;
  serverOptions: ServerOptionsInput;
}

export function splitGatewayOptions(options: RoomcastGatewayOptions | undefined): SplitGatewayOptions {
  if (options === undefined || options === null) return { namespace: undefined, server: undefined, serverOptions: {} };
  if (typeof options !== "object") throw new TypeError(`the options of a @WebSocketGateway must be an object, got ${typeof options}`);
  const { namespace, server, ...serverOptions } = options;
  return { namespace, server, serverOptions };
}

/** Where a server listens, for messages: the app's HTTP server, or a gateway's own port. */
export function describePort(port: number): string {
  return port === 0 ? "the app's HTTP server" : `port ${port}`;
}
