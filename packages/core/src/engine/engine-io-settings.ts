import type { ServerOptions } from "../server/server-options.js";

/** The Socket.IO endpoint's settings, read from the resolved server options. */
export interface EngineIoSettings {
  /** Request path prefix, with a trailing slash (`/socket.io/`). */
  path: string;
  /** HTTP long-polling accepted (and then upgraded to WebSocket). */
  polling: boolean;
  /** WebSocket accepted, directly or as an upgrade. */
  websocket: boolean;
  /** Polling sessions may upgrade to WebSocket. */
  allowUpgrades: boolean;
  /** Milliseconds a probe WebSocket has to complete the upgrade. */
  upgradeTimeout: number;
}

/** The Socket.IO endpoint's settings, or undefined when the server does not speak Socket.IO. */
export function engineIoSettings(options: ServerOptions): EngineIoSettings | undefined {
  const socketio = options.socketio;
  if (socketio === false) return undefined;
  return {
    path: socketio.path.endsWith("/") ? socketio.path : `${socketio.path}/`,
    polling: socketio.polling && options.transports.includes("polling"),
    websocket: options.transports.includes("websocket"),
    allowUpgrades: options.allowUpgrades,
    upgradeTimeout: options.upgradeTimeout,
  };
}
