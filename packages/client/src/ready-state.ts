/*
 * @internal States of a manager's connection. Numbers, not names: compared on every send, and
 * bundlers inline these constants, leaving nothing but the digits in an app's bundle.
 */
export const CLOSED = 0;
export const OPENING = 1;
export const OPEN = 2;
export type ReadyState = typeof CLOSED | typeof OPENING | typeof OPEN;
