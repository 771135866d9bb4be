/**
 * The last `capacity` ids seen, oldest evicted first. Copies of one multi-room broadcast arrive
 * close together, so a window of a few thousand ids catches them all.
 */
export class RecentIds {
  private readonly ids = new Set<string>();

  constructor(private readonly capacity: number) {}

  /** Returns true the first time `id` is offered, false for a repeat still in the window. */
  add(id: string): boolean {
    if (this.ids.has(id)) return false;
    this.ids.add(id);
    if (this.ids.size > this.capacity) {
      for (const oldest of this.ids) {
        this.ids.delete(oldest);
        break;
      }
    }
    return true;
  }
}
