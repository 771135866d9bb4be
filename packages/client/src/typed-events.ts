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

type Listener = ((...args: any[]) => void) & {
  /** On the wrapper `once` registers: the listener it wraps, so `off` and `listeners` see that one. */
  _listener?: (...args: any[]) => void;
};

/*
 * An empty list to iterate when an event has no listener: emits of unheard events allocate nothing.
 * Never changed: listener lists are replaced, not mutated (see below).
 */
const NONE: readonly Listener[] = [];

/**
 * The event emitter of Socket, Manager and Engine, typed by the events the app declares and the
 * reserved ones (`connect`, `disconnect`, ...). Listeners run with `this` set to the emitter, as
 * in socket.io-client.
 *
 * The emit side is not public: `Socket#emit` means "send to the server", so local delivery goes
 * through `_emitReserved`. Each event's listeners are an array that `on` and `off` replace rather
 * than change in place, so an emit can run the array it read (a listener that adds or removes
 * listeners affects the next emit, not this one) without copying it once per message.
 * Why this is hand-written rather than eventemitter3: see the README's "Dependencies".
 */
export class TypedEmitter<ListenEvents extends EventsMap, ReservedEvents extends EventsMap> {
  #listeners = new Map<string, readonly Listener[]>();

  /** Adds a listener. */
  on<Ev extends ReservedOrUserEventNames<ReservedEvents, ListenEvents>>(
    ev: Ev,
    listener: ReservedOrUserListener<ReservedEvents, ListenEvents, Ev>,
  ): this {
    this.#listeners.set(ev, [...(this.#listeners.get(ev) ?? NONE), listener as Listener]);
    return this;
  }

  /** Adds a listener that runs at most once. */
  once<Ev extends ReservedOrUserEventNames<ReservedEvents, ListenEvents>>(
    ev: Ev,
    listener: ReservedOrUserListener<ReservedEvents, ListenEvents, Ev>,
  ): this {
    const once: Listener = (...args) => {
      this.off(ev, once as never);
      (listener as Listener).apply(this, args);
    };
    once._listener = listener as Listener;
    return this.on(ev, once as never);
  }

  /** Removes one listener (every registration of it), every listener of an event, or every listener at all. */
  off<Ev extends ReservedOrUserEventNames<ReservedEvents, ListenEvents>>(
    ev?: Ev,
    listener?: ReservedOrUserListener<ReservedEvents, ListenEvents, Ev>,
  ): this {
    const all = this.#listeners;
    if (ev === undefined) all.clear();
    else if (listener === undefined) all.delete(ev);
    else {
      const kept = (all.get(ev) ?? NONE).filter((l) => l !== listener && l._listener !== listener);
      if (kept.length) all.set(ev, kept);
      else all.delete(ev);
    }
    return this;
  }

  /** Alias of `off(ev)` / `off()`. */
  removeAllListeners<Ev extends ReservedOrUserEventNames<ReservedEvents, ListenEvents>>(ev?: Ev): this {
    return this.off(ev);
  }

  listeners<Ev extends ReservedOrUserEventNames<ReservedEvents, ListenEvents>>(
    ev: Ev,
  ): ReservedOrUserListener<ReservedEvents, ListenEvents, Ev>[] {
    return (this.#listeners.get(ev) ?? NONE).map((l) => l._listener ?? l) as ReservedOrUserListener<ReservedEvents, ListenEvents, Ev>[];
  }

  hasListeners<Ev extends ReservedOrUserEventNames<ReservedEvents, ListenEvents>>(ev: Ev): boolean {
    return this.#listeners.has(ev);
  }

  /**
   * Delivers an event to local listeners: a reserved one (`connect`, `disconnect`, `reconnect`,
   * ...), or, from Socket, one the server sent.
   */
  protected _emitReserved<Ev extends EventNames<ReservedEvents>>(ev: Ev, ...args: EventParams<ReservedEvents, Ev>): void {
    for (const listener of this.#listeners.get(ev) ?? NONE) listener.apply(this, args);
  }
}
