/**
 * roomcast for the exactly-once rows: the same server as roomcast.mjs (the window of handled
 * emits needs no option); its load clients send every ack request as EVENT_ONCE with a new id.
 */
export { start } from "./roomcast.mjs";
