import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { Gate, retryingClient, startOnceNode, type Run } from "./support/once-nodes.js";
import { type Direction, TcpProxy, type Tap } from "./support/tcp-proxy.js";

/*
 * Wherever the connection breaks (in the upgrade, the CONNECT, an emit on its way to the server,
 * or its ack on its way back, at any byte), every emit of a @roomcast/client with retries is run
 * by the server exactly once and gets its reply.
 */

/** Where one connection is cut: after `at` bytes went `direction` (never, if fewer go). */
interface CutPoint {
  direction: Direction;
  at: number;
}

/** A tap per connection: the n-th connection is cut at the n-th point, later ones pass. */
function cutAt(points: readonly CutPoint[]): { tap: () => Tap; cuts: () => number } {
  let connections = 0;
  let cuts = 0;
  const tap = (): Tap => {
    const point = points[connections++];
    const seen: Record<Direction, number> = { toServer: 0, toClient: 0 };
    let done = point === undefined;
    return (direction, chunk) => {
      if (done || direction !== point!.direction) return undefined;
      const before = seen[direction];
      seen[direction] += chunk.length;
      if (seen[direction] < point!.at) return undefined;
      done = true;
      cuts++;
      return { forward: point!.at - before, cut: true };
    };
  };
  return { tap, cuts: () => cuts };
}

describe("exactly-once emits, property", () => {
  it("runs the handler once per distinct emit, whatever byte the connection breaks at", async () => {
    // a run sends about 300 bytes each way on its first connection (upgrade, CONNECT, emits, acks)
    const point = fc.record({ direction: fc.constantFrom<Direction>("toServer", "toClient"), at: fc.integer({ min: 1, max: 400 }) });
    let cuts = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(point, { minLength: 1, maxLength: 3 }), fc.integer({ min: 1, max: 4 }), fc.boolean(), async (points, emits, slow) => {
        const runs: Run[] = [];
        // a slow handler is still running when a cut comes, and when the resends arrive
        const node = await startOnceNode("a", runs, new Gate(slow ? 25 : 0));
        const relay = cutAt(points);
        const proxy = await TcpProxy.start(node.port, { tap: relay.tap });
        const socket = retryingClient(proxy.port);
        try {
          const numbers = Array.from({ length: emits }, (_, i) => i + 1);
          const replies = await Promise.all(numbers.map((n) => socket.emitWithAck("order", n)));
          expect(replies).toEqual(numbers.map((n) => ({ n, by: "a" })));
          expect(runs.map((run) => run.n).sort()).toEqual(numbers);
          cuts += relay.cuts();
        } finally {
          socket.disconnect();
          socket.io.close();
          await proxy.close();
          await node.close();
        }
      }),
      { numRuns: 30 },
    );
    // the runs did break connections (most cut points fall inside what a run sends)
    expect(cuts).toBeGreaterThanOrEqual(10);
  }, 120_000);
});
