// live server, Socket.IO v5 over Engine.IO v4 long-polling: generated POST bodies, a healthy client alongside
import { fuzzSuite } from "@roomcast/fuzz/vitest";
import { REGRESSIONS } from "./regressions-dir.js";
import { liveSocketIoPollingTarget } from "./targets/live-socketio.js";

fuzzSuite(liveSocketIoPollingTarget, REGRESSIONS);
