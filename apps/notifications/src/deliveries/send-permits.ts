/** At most `limit` holders at a time; the others wait their turn, first come first served. */
export class SendPermits {
  private holders = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(readonly limit: number) {}

  get inUse(): number {
    return this.holders;
  }

  get queued(): number {
    return this.waiting.length;
  }

  async run<T>(work: () => Promise<T>): Promise<T> {
    if (this.holders < this.limit) this.holders += 1;
    // A released permit passes straight to the next in line, so `holders` never overshoots.
    else await new Promise<void>((resolve) => this.waiting.push(resolve));
    try {
      return await work();
    } finally {
      const next = this.waiting.shift();
      if (next) next();
      else this.holders -= 1;
    }
  }
}
