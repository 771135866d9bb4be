import type { WsMessageHandler } from "@nestjs/common";
import type { Socket } from "@roomcast/core";
import type { Observable } from "rxjs";
import { splitPayload } from "./message-payload.js";
import { PendingReplies, type AdapterMetrics } from "./pending-replies.js";

/** The code of the "exception" a client gets for an event refused by `maxPendingReplies`. */
export const TOO_MANY_PENDING_REPLIES = "ERR_TOO_MANY_PENDING_REPLIES";

/** What binding needs from the adapter. */
export interface BindingHost {
  readonly maxPendingReplies: number;
  readonly metrics: AdapterMetrics;
  /** Reports what a client cannot be told: a failed reply stream, a reply that could not be sent. */
  logError(message: string, err?: unknown): void;
  logWarning(message: string): void;
}

/** Nest's `WsResponse`: a result with an event name is emitted back to the client instead of acked. */
interface WsResponseLike {
  event: string;
  data?: unknown;
}

function isWsResponse(value: unknown): value is WsResponseLike {
  return typeof value === "object" && value !== null && typeof (value as { event?: unknown }).event === "string" && (value as WsResponseLike).event !== "";
}

/**
 * Routes a socket's events to the gateway's `@SubscribeMessage` handlers. Each value of a handler's
 * result (a value, a Promise, an Observable: `transform` makes all of them Observables) is sent
 * back: a `WsResponse` (`{ event, data }`) as that event, anything else (but `null` and
 * `undefined`) as the reply to the client's ack callback, unless the handler takes the ack itself
 * (`@Ack()`). The semantics are those of `@nestjs/platform-socket.io`'s IoAdapter.
 */
export function bindSocketHandlers(
  socket: Socket<any, any, any, any>,
  handlers: readonly WsMessageHandler[],
  transform: (data: unknown) => Observable<unknown>,
  host: BindingHost,
): void {
  const pending = new PendingReplies(host.maxPendingReplies, host.metrics, (err) => host.logError(`a handler's result failed on socket ${socket.id}`, err));
  socket.once("disconnect", () => pending.cancelAll());
  let warned = false;
  for (const handler of handlers) {
    const event = handler.message;
    socket.on(event, (...args: unknown[]) => {
      const { data, ack } = splitPayload(args);
      if (pending.full) {
        host.metrics.refusedMessages++;
        if (!warned) {
          warned = true;
          host.logWarning(`socket ${socket.id} (${socket.nsp.name}) has ${host.maxPendingReplies} handler results pending; its events are refused until some complete (maxPendingReplies)`);
        }
        safely(host, socket, () => socket.emit("exception", { status: "error", message: "Too many pending replies", code: TOO_MANY_PENDING_REPLIES, cause: { pattern: event } }));
        return;
      }
      let result: Observable<unknown>;
      try {
        result = transform(handler.callback(data, ack));
      } catch (err) {
        // Nest's handler proxy catches handler errors for the exception filters; this is past them.
        host.metrics.replyErrors++;
        host.logError(`the "${event}" handler failed on socket ${socket.id}`, err);
        return;
      }
      const replyTo = handler.isAckHandledManually ? undefined : ack;
      pending.track(result, (response) => safely(host, socket, () => deliver(socket, response, replyTo)));
    });
  }
}

function deliver(socket: Socket<any, any, any, any>, response: unknown, ack: ((...args: unknown[]) => void) | undefined): void {
  if (response === undefined || response === null) return;
  if (isWsResponse(response)) {
    socket.emit(response.event, response.data);
    return;
  }
  ack?.(response);
}

/** A reply that throws (a reserved event name in a WsResponse) is logged, never thrown into rxjs, which would rethrow it out of band. */
function safely(host: BindingHost, socket: Socket<any, any, any, any>, send: () => void): void {
  try {
    send();
  } catch (err) {
    host.metrics.replyErrors++;
    host.logError(`a reply could not be sent on socket ${socket.id}`, err);
  }
}
