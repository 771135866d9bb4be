import { ErrorCode, RoomcastError } from "@roomcast/protocol";

/**
 * A cluster request (`fetchSockets`, `serverSideEmit` with an ack) ended before every node it
 * waited for answered: a node died, closed, or did not answer within `requestsTimeout`.
 * `responses` holds what did arrive; `data.missing` the uids of the nodes that did not answer.
 *
 * @example
 * try {
 *   await io.fetchSockets();
 * } catch (err) {
 *   if (err instanceof PartialResponseError) use(err.responses);
 * }
 */
export class PartialResponseError<T = unknown> extends RoomcastError {
  readonly responses: T[];
  declare data: { missing: string[] };

  constructor(message: string, responses: T[], missing: string[]) {
    super(ErrorCode.PARTIAL_RESPONSE, message, undefined, { missing });
    this.name = "PartialResponseError";
    this.responses = responses;
  }
}
