// live server, roomcast.v1 msgpack over WebSocket: generated frames on fresh connections, a healthy client alongside
import { fuzzSuite } from "@roomcast/fuzz/vitest";
import { REGRESSIONS } from "./regressions-dir.js";
import { liveRoomcastTarget } from "./targets/live-roomcast.js";

fuzzSuite(liveRoomcastTarget("msgpack"), REGRESSIONS);
