import { EventEmitter } from "eventemitter3";

/** A map of event names to listener signatures, e.g. `{ chat: (text: string) => void }`. */
export interface EventsMap {
  [event: string]: any;
}

/** The map used when no types are given: any event, any arguments. */
export interface DefaultEventsMap {
  [event: string]: (...args: any[]) => void;
}

export type EventNames<Map extends EventsMap> = keyof Map & string;

export type EventParams<Map extends EventsMap, Ev extends EventNames<Map>> = Parameters<Map[Ev]>;

type FallbackToUntypedListener<T> = [T] extends [never] ? (...args: any[]) => void | Promise<void> : T;

/** Listener type for an event that is either reserved (`connect`, ...) or user-defined. */
export type ReservedOrUserListener<Reserved extends EventsMap, User extends EventsMap, Ev extends string> =
  FallbackToUntypedListener<
    Ev extends EventNames<Reserved> ? Reserved[Ev] : Ev extends EventNames<User> ? User[Ev] : never
  >;

export type ReservedOrUserEventNames<Reserved extends EventsMap, User extends EventsMap> =
  | EventNames<Reserved>
  | EventNames<User>;

export type Last<T extends any[]> = T extends [...infer _Head, infer L] ? L : never;
export type AllButLast<T extends any[]> = T extends [...infer Head, infer _L] ? Head : any[];
export type FirstArg<T> = T extends (arg: infer A, ...rest: any[]) => any ? A : any;
/** The reply an ack callback receives, skipping the error slot `timeout()` adds. */
export type FirstNonErrorArg<T> = T extends (...args: infer Params) => any
  ? [Params[0]] extends [Error | null]
    ? Params[1]
    : Params[0]
  : any;

type PrependTimeoutError<T extends any[]> = {
  [K in keyof T]: T[K] extends (...args: infer Params) => infer Result
    ? (err: Error | null, ...args: Params) => Result
    : T[K];
};

/** What `timeout(ms)` does to the emit side: every ack callback gets an error first. */
export type DecorateAcknowledgements<E extends EventsMap> = {
  [K in keyof E]: E[K] extends (...args: infer Params) => infer Result
    ? (...args: PrependTimeoutError<Params>) => Result
    : E[K];
};

type Listener = (...args: any[]) => void;

/**
 * The event emitter of Socket, Manager and Engine: a typed facade over eventemitter3, typed by the
 * events the app declares and the reserved ones (`connect`, `disconnect`, ...). Listeners run with
 * `this` set to the socket, manager or engine, as in socket.io-client. Composition rather than
 * inheritance, so that `Socket#emit` can mean "send to the server" while local delivery goes
 * through `_emitReserved`.
 */
export class TypedEmitter<ListenEvents extends EventsMap, ReservedEvents extends EventsMap> {
  readonly #emitter = new EventEmitter();

  /** Adds a listener. */
  on<Ev extends ReservedOrUserEventNames<ReservedEvents, ListenEvents>>(
    ev: Ev,
    listener: ReservedOrUserListener<ReservedEvents, ListenEvents, Ev>,
  ): this {
    this.#emitter.on(ev, listener as Listener, this);
    return this;
  }

  /** Adds a listener that runs at most once. */
  once<Ev extends ReservedOrUserEventNames<ReservedEvents, ListenEvents>>(
    ev: Ev,
    listener: ReservedOrUserListener<ReservedEvents, ListenEvents, Ev>,
  ): this {
    this.#emitter.once(ev, listener as Listener, this);
    return this;
  }

  /** Removes one listener (every registration of it), every listener of an event, or every listener at all. */
  off<Ev extends ReservedOrUserEventNames<ReservedEvents, ListenEvents>>(
    ev?: Ev,
    listener?: ReservedOrUserListener<ReservedEvents, ListenEvents, Ev>,
  ): this {
    if (ev === undefined) this.#emitter.removeAllListeners();
    else if (listener === undefined) this.#emitter.removeAllListeners(ev);
    else this.#emitter.off(ev, listener as Listener);
    return this;
  }

  /** Alias of `off(ev)` / `off()`. */
  removeAllListeners<Ev extends ReservedOrUserEventNames<ReservedEvents, ListenEvents>>(ev?: Ev): this {
    return this.off(ev);
  }

  listeners<Ev extends ReservedOrUserEventNames<ReservedEvents, ListenEvents>>(
    ev: Ev,
  ): ReservedOrUserListener<ReservedEvents, ListenEvents, Ev>[] {
    return this.#emitter.listeners(ev) as ReservedOrUserListener<ReservedEvents, ListenEvents, Ev>[];
  }

  hasListeners<Ev extends ReservedOrUserEventNames<ReservedEvents, ListenEvents>>(ev: Ev): boolean {
    return this.#emitter.listenerCount(ev) > 0;
  }

  /**
   * Delivers an event to local listeners: a reserved one (`connect`, `disconnect`, `reconnect`,
   * ...), or, from Socket, one the server sent.
   */
  protected _emitReserved<Ev extends EventNames<ReservedEvents>>(ev: Ev, ...args: EventParams<ReservedEvents, Ev>): void {
    this.#emitter.emit(ev, ...args);
  }

  /**
   * `_emitReserved(...event)` without the copy its rest parameter makes: `event` is the event's
   * name followed by its arguments, an array the caller made for this call alone.
   */
  protected _emitArray(event: unknown[]): void {
    this.#emitter.emit(...(event as [string]));
  }
}
