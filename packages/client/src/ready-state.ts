/**
 * @internal State of a manager's connection. Numbers, not names: compared on every send, and a
 * const enum leaves nothing but the digits in the browser bundle.
 */
export const enum ReadyState {
  CLOSED,
  OPENING,
  OPEN,
}
