import type { Server as HttpServer } from "node:http";
import { Server as RoomcastServer } from "./server/server.js";
import { DEFAULT_OPTIONS, type ServerOptionsInput } from "./server/server-options.js";
import type { DefaultEventsMap, EventsMap } from "./typed-events.js";

/**
 * Socket.IO's reading of the options: `path` is the path socket.io-clients use, so it becomes the
 * Socket.IO endpoint's path; `socketio` defaults to on. roomcast's own endpoint keeps its default
 * path (`/roomcast`); the `@roomcast/core` entry sets both when both must move.
 */
function socketIoDefaults(options: ServerOptionsInput | undefined): ServerOptionsInput {
  const given = options ?? {};
  const { path, ...rest } = given;
  const socketio = given.socketio ?? true;
  if (path === undefined || socketio === false) return { ...given, socketio };
  if (path === DEFAULT_OPTIONS.path) {
    throw new TypeError(`option "path": "${path}" is roomcast's own endpoint; with this import, path is where socket.io-clients connect (default "/socket.io")`);
  }
  if (typeof socketio === "object" && socketio.path !== undefined) {
    throw new TypeError('options "path" and "socketio.path" both set the Socket.IO endpoint\'s path here; keep one');
  }
  return { ...rest, socketio: { ...(typeof socketio === "object" ? socketio : {}), path } };
}

/**
 * The drop-in entry for Socket.IO apps: `import { Server } from "@roomcast/core/socket.io"`.
 * The same server as `@roomcast/core`'s, with the Socket.IO endpoint on by default
 * (`socketio: true`: Engine.IO v4 + Socket.IO v5 at `/socket.io/`, long-polling and WebSocket),
 * so an app that changes only its import keeps serving its unmodified socket.io-clients, and
 * roomcast clients can connect to the same namespaces and rooms at `/roomcast`.
 *
 * Options read as Socket.IO reads them: `path` is the Socket.IO endpoint's path (`/chat` serves
 * socket.io-clients built with `path: "/chat"`); `socketio: false` or `{ path, polling }` still
 * apply. See docs/MIGRATING.md.
 *
 * @example
 * import { Server } from "@roomcast/core/socket.io";
 * const io = new Server(httpServer, { cors: { origin: "https://app.example" } });
 */
export class Server<
  ListenEvents extends EventsMap = DefaultEventsMap,
  EmitEvents extends EventsMap = ListenEvents,
  ServerSideEvents extends EventsMap = DefaultEventsMap,
  SocketData = any,
> extends RoomcastServer<ListenEvents, EmitEvents, ServerSideEvents, SocketData> {
  /**
   * @param srv an HTTP server to attach to, a port to listen on (a server is created), or the options.
   * @throws TypeError for an unknown option, an unsupported Socket.IO option, or a value of the wrong type
   */
  constructor(srv?: HttpServer | number | ServerOptionsInput, options?: ServerOptionsInput) {
    const optionsFirst = srv !== undefined && typeof srv === "object" && typeof (srv as { listen?: unknown }).listen !== "function";
    if (optionsFirst) super(socketIoDefaults(srv as ServerOptionsInput));
    else super(srv as HttpServer | number | undefined, socketIoDefaults(options));
  }

  /**
   * The path socket.io-clients connect to, as Socket.IO's `io.path()` answers (the Socket.IO
   * endpoint's; roomcast's own is `options.path`).
   *
   * @throws TypeError when given a value (paths are constructor options)
   */
  override path(...value: unknown[]): string {
    const own = super.path(...value);
    const socketio = this.options.socketio;
    return socketio === false ? own : socketio.path.replace(/\/$/, "");
  }
}

export * from "./index.js";
