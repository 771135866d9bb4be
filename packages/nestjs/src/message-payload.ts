/** A handler's input, as Nest's Socket.IO adapter hands it over: the message body and the client's ack callback. */
export interface MessagePayload {
  /** One argument as it is; several as an array; none as `undefined`. */
  data: unknown;
  /** The client's acknowledgement callback, when it sent one (it is always the last argument). */
  ack: ((...args: unknown[]) => void) | undefined;
}

/**
 * Splits the arguments of a client event the way `@nestjs/platform-socket.io` does, so that
 * `@MessageBody()` and `@Ack()` see the same values on both adapters: `emit("ev", a)` gives `a`,
 * `emit("ev", a, b)` gives `[a, b]`, and a trailing callback is the ack.
 */
export function splitPayload(args: readonly unknown[]): MessagePayload {
  const last = args[args.length - 1];
  const ack = typeof last === "function" ? (last as MessagePayload["ack"]) : undefined;
  const count = ack === undefined ? args.length : args.length - 1;
  if (count === 0) return { data: undefined, ack };
  if (count === 1) return { data: args[0], ack };
  return { data: args.slice(0, count), ack };
}
