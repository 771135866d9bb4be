// live server, Socket.IO v5 over Engine.IO v4 WebSocket (socketio: true): generated sessions, a healthy client alongside
import { fuzzSuite } from "@roomcast/fuzz/vitest";
import { REGRESSIONS } from "./regressions-dir.js";
import { liveSocketIoWsTarget } from "./targets/live-socketio.js";

fuzzSuite(liveSocketIoWsTarget, REGRESSIONS);
