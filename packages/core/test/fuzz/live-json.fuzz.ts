// live server, roomcast.v1 json over WebSocket: generated frames on fresh connections, a healthy client alongside
import { fuzzSuite } from "@roomcast/fuzz/vitest";
import { REGRESSIONS } from "./regressions-dir.js";
import { liveRoomcastTarget } from "./targets/live-roomcast.js";

fuzzSuite(liveRoomcastTarget("json"), REGRESSIONS);
