import type { FuzzTarget } from "@roomcast/fuzz";
import { engineIoTarget } from "./engine-io.js";
import { liveRoomcastTarget } from "./live-roomcast.js";
import { liveSocketIoPollingTarget, liveSocketIoWsTarget } from "./live-socketio.js";
import { socketIoDecoderTarget } from "./socketio-decoder.js";

/** This package's fuzz targets; each has a `<name>.fuzz.ts` run by `pnpm fuzz`. */
export const coreTargets: readonly FuzzTarget[] = [
  engineIoTarget,
  socketIoDecoderTarget,
  liveRoomcastTarget("json"),
  liveRoomcastTarget("msgpack"),
  liveSocketIoWsTarget,
  liveSocketIoPollingTarget,
];
