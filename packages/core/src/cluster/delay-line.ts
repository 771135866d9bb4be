/**
 * Steps run one after the other, each after a delay of its own counted from the previous one:
 * first in, first out, at a varying pace. The in-process hub's model of one shard's broker.
 */
export class DelayLine {
  private readonly steps: (() => void)[] = [];
  private timer: NodeJS.Timeout | undefined;

  /**
   * @param delay ms before the next step runs.
   * @param onIdle called when the last step ran and none waits, so the owner can drop the line.
   */
  constructor(
    private readonly delay: () => number,
    private readonly onIdle: () => void,
  ) {}

  push(step: () => void): void {
    this.steps.push(step);
    if (this.timer === undefined) this.schedule();
  }

  private schedule(): void {
    this.timer = setTimeout(() => {
      this.timer = undefined;
      const step = this.steps.shift();
      step?.();
      if (this.steps.length > 0) this.schedule();
      else this.onIdle();
    }, this.delay());
  }
}
