/**
 * Opt-in msgpack codec, re-exported so apps import it next to the client:
 * `io(url, { codec: msgpackCodec })`. A separate entry keeps msgpackr out of JSON-only bundles.
 */
export { msgpackCodec } from "@roomcast/protocol/msgpack";
