import { expect } from "vitest";
import { type CloseCode, ErrorCode, ProtocolError } from "@roomcast/protocol";

const DOCUMENTED: readonly string[] = Object.values(ErrorCode);

/** Runs `fn` and asserts it threw a ProtocolError with this code and close code. */
export function expectProtocolError(fn: () => unknown, code: ErrorCode, closeCode: CloseCode): void {
  let thrown: unknown;
  try {
    fn();
  } catch (err) {
    thrown = err;
  }
  expect(thrown, "a ProtocolError").toBeInstanceOf(ProtocolError);
  expect((thrown as ProtocolError).code).toBe(code);
  expect((thrown as ProtocolError).closeCode).toBe(closeCode);
}

/** Calls `fn`; anything it throws must be a ProtocolError with a documented code. */
export function onlyProtocolErrors<T>(fn: () => T): T | ProtocolError {
  try {
    return fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ProtocolError);
    expect(DOCUMENTED).toContain((err as ProtocolError).code);
    return err as ProtocolError;
  }
}
