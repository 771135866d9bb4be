// Socket.IO v5 decoder: packets with attachments, acks, namespaces and recovery fields, mutated at every layer
import { fuzzSuite } from "@roomcast/fuzz/vitest";
import { REGRESSIONS } from "./regressions-dir.js";
import { socketIoDecoderTarget } from "./targets/socketio-decoder.js";

fuzzSuite(socketIoDecoderTarget, REGRESSIONS);
