import { EventEmitter } from "node:events";

/**
 * Event typing in the style of Socket.IO: an events map names each event and its listener
 * signature; a trailing function parameter is the acknowledgement callback.
 *
 * @example
 * interface ServerToClient { chat(text: string): void; poll(reply: (answer: number) => void): void }
 */
export interface EventsMap {
  [event: string]: any;
}

/** The map used when no types are given: any event, any arguments. */
export interface DefaultEventsMap {
  [event: string]: (...args: any[]) => void;
}

export type EventNames<Map extends EventsMap> = keyof Map & (string | symbol);

export type EventParams<Map extends EventsMap, Ev extends EventNames<Map>> = Parameters<Map[Ev]>;

/** A listener for a map entry; any listener when the map does not name the event. */
type FallbackToUntypedListener<T> = [T] extends [never] ? (...args: any[]) => void | Promise<void> : T;

export type ReservedOrUserEventNames<Reserved extends EventsMap, User extends EventsMap> =
  | EventNames<Reserved>
  | EventNames<User>;

export type ReservedOrUserListener<
  Reserved extends EventsMap,
  User extends EventsMap,
  Ev extends ReservedOrUserEventNames<Reserved, User>,
> = FallbackToUntypedListener<
  Ev extends EventNames<Reserved> ? Reserved[Ev] : Ev extends EventNames<User> ? User[Ev] : never
>;

export type Last<T extends any[]> = T extends [...infer _Head, infer L] ? L : any;
export type AllButLast<T extends any[]> = T extends [...infer Head, infer _L] ? Head : any[];
export type FirstArg<T> = T extends (arg: infer A, ...rest: any[]) => any ? A : any;
export type SecondArg<T> = T extends (err: any, arg: infer A) => any ? A : any;

/** Events whose last parameter is an acknowledgement callback. */
export type EventNamesWithAck<Map extends EventsMap, K extends EventNames<Map> = EventNames<Map>> = K extends any
  ? Last<EventParams<Map, K>> extends (...args: any[]) => any
    ? K
    : never
  : never;

type PrependTimeoutError<T extends any[]> = {
  [K in keyof T]: T[K] extends (...args: infer Params) => infer Result ? (err: Error, ...args: Params) => Result : T[K];
};

type ExpectMultipleResponses<T extends any[]> = {
  [K in keyof T]: T[K] extends (err: Error, arg: infer Arg) => infer Result ? (err: Error, arg: Arg[]) => Result : T[K];
};

/** After `timeout(ms)`, an ack callback receives an error first: `(err, ...reply)`. */
export type DecorateAcknowledgements<E> = {
  [K in keyof E]: E[K] extends (...args: infer Params) => infer Result
    ? (...args: PrependTimeoutError<Params>) => Result
    : E[K];
};

/** A broadcast ack collects one reply per recipient: `(err, replies[])`. */
export type DecorateAcknowledgementsWithMultipleResponses<E> = {
  [K in keyof E]: E[K] extends (...args: infer Params) => infer Result ? (...args: ExpectMultipleResponses<Params>) => Result : E[K];
};

export type DecorateAcknowledgementsWithTimeoutAndMultipleResponses<E> = DecorateAcknowledgementsWithMultipleResponses<
  DecorateAcknowledgements<E>
>;

/*
 * The store EventEmitter keeps listeners in, by event name. Node makes it `{ __proto__: null }`,
 * which V8 keeps as a hash table from the start (~160 B, and ~300 B per namespace socket with two
 * listeners); an object made by a constructor whose prototype has no prototype is just as free of
 * inherited names but stays in fast mode, with in-object slots, and sockets that register the same
 * events share one hidden class (~170 B with two listeners). EventEmitter only reads and writes
 * names on it, and `removeAllListeners()` puts Node's own kind back.
 */
const ListenerTable = function ListenerTable() {} as unknown as new () => object;
// Replaced rather than emptied: a class's prototype would carry `constructor`, an event name.
ListenerTable.prototype = Object.create(null) as object;

/**
 * An EventEmitter whose `on`/`once`/`off` are typed by the events it listens to (reserved and
 * user events); subclasses decide what `emit` means (send to a peer, broadcast).
 *
 * Listener rejections are captured (`captureRejections`) so an async handler that throws is
 * reported like a sync one instead of becoming an unhandled rejection.
 */
export abstract class TypedEventEmitter<
  ListenEvents extends EventsMap,
  ReservedEvents extends EventsMap,
> extends EventEmitter {
  constructor() {
    super({ captureRejections: true });
    (this as unknown as { _events: object })._events = new ListenerTable();
  }

  override on<Ev extends ReservedOrUserEventNames<ReservedEvents, ListenEvents>>(
    ev: Ev,
    listener: ReservedOrUserListener<ReservedEvents, ListenEvents, Ev>,
  ): this {
    return super.on(ev, listener as (...args: any[]) => void);
  }

  override once<Ev extends ReservedOrUserEventNames<ReservedEvents, ListenEvents>>(
    ev: Ev,
    listener: ReservedOrUserListener<ReservedEvents, ListenEvents, Ev>,
  ): this {
    return super.once(ev, listener as (...args: any[]) => void);
  }

  override off<Ev extends ReservedOrUserEventNames<ReservedEvents, ListenEvents>>(
    ev: Ev,
    listener: ReservedOrUserListener<ReservedEvents, ListenEvents, Ev>,
  ): this {
    return super.off(ev, listener as (...args: any[]) => void);
  }

  /** Emits a reserved (local) event such as "connection" or "disconnect" to this object's listeners. */
  emitReserved<Ev extends EventNames<ReservedEvents>>(ev: Ev, ...args: EventParams<ReservedEvents, Ev>): boolean {
    return super.emit(ev, ...args);
  }

  /** Runs local listeners for an event whose name comes from the peer or another node. */
  protected emitUntyped(ev: string, ...args: unknown[]): boolean {
    return super.emit(ev, ...args);
  }

  /** Same, for an event as it arrives, `[name, ...args]`: the array becomes the arguments without a copy. */
  protected emitUntypedEvent(event: unknown[]): boolean {
    return EventEmitter.prototype.emit.apply(this, event as [string, ...unknown[]]);
  }
}
