/**
 * The other nodes of a namespace and when each was last heard from. A node enters with its
 * first heartbeat and leaves with its close notice or when silent longer than the timeout.
 */
export class NodeRegistry {
  private readonly lastSeen = new Map<string, number>();

  /** Guards against a flood of made-up uids; far above any real cluster. */
  constructor(private readonly maxNodes = 10_000) {}

  /** Records a heartbeat; returns true for a node not known before. */
  heartbeat(uid: string, now: number): boolean {
    const known = this.lastSeen.has(uid);
    if (!known && this.lastSeen.size >= this.maxNodes) return false;
    this.lastSeen.set(uid, now);
    return !known;
  }

  /** Any message from a known node also shows it is alive. */
  touch(uid: string, now: number): void {
    if (this.lastSeen.has(uid)) this.lastSeen.set(uid, now);
  }

  remove(uid: string): boolean {
    return this.lastSeen.delete(uid);
  }

  /** Drops and returns the nodes not heard from since `deadline`. */
  sweep(deadline: number): string[] {
    const gone: string[] = [];
    for (const [uid, seen] of this.lastSeen) {
      if (seen < deadline) gone.push(uid);
    }
    for (const uid of gone) this.lastSeen.delete(uid);
    return gone;
  }

  alive(): string[] {
    return [...this.lastSeen.keys()];
  }

  get size(): number {
    return this.lastSeen.size;
  }

  clear(): void {
    this.lastSeen.clear();
  }
}
