// Text arriving on a stream (a console socket, a child's stdout), kept whole and split into lines,
// so a caller can wait, with a bound, for a line that matches.

export class TimeoutError extends Error {}

/** `p`, or a TimeoutError saying `what` after `ms`; the timer never outlives the race. */
export function bounded<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new TimeoutError(`${what} within ${ms} ms`)), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

export class LineStream {
  private text = "";
  private partial = "";
  private readonly waiters: { re: RegExp; resolve: (line: string) => void }[] = [];
  private readonly listeners: ((line: string) => void)[] = [];

  constructor(readonly name: string) {}

  push(chunk: string): void {
    this.text += chunk;
    const parts = (this.partial + chunk).split(/\r?\n/);
    this.partial = parts.pop() ?? "";
    for (const line of parts) this.emit(line);
    // A prompt or a line still being written may match before its newline arrives.
    if (this.partial) this.match(this.partial);
  }

  private emit(line: string): void {
    for (const l of this.listeners) l(line);
    this.match(line);
  }

  private match(line: string): void {
    for (let i = this.waiters.length - 1; i >= 0; i--) {
      const w = this.waiters[i];
      if (w.re.test(line)) {
        this.waiters.splice(i, 1);
        w.resolve(line);
      }
    }
  }

  /** Resolves once `n` complete lines (seen before or after this call) match `re`; rejects after `ms`. */
  waitForCount(re: RegExp, n: number, ms: number): Promise<number> {
    const count = (): number => this.text.split(/\r?\n/).filter((l) => re.test(l)).length;
    if (count() >= n) return Promise.resolve(count());
    return new Promise((resolve, reject) => {
      const check = (line: string): void => {
        if (!done && re.test(line) && count() >= n) {
          done = true;
          clearTimeout(timer);
          resolve(count());
        }
      };
      let done = false;
      const timer = setTimeout(() => {
        done = true;
        reject(new TimeoutError(`${count()} of ${n} lines matching ${re} on ${this.name} within ${ms} ms`));
      }, ms);
      this.listeners.push(check);
    });
  }

  onLine(cb: (line: string) => void): void {
    this.listeners.push(cb);
  }

  get all(): string {
    return this.text;
  }

  /** Resolves with the first line (seen before or after this call) matching `re`; rejects after `ms`. */
  waitFor(re: RegExp, ms: number): Promise<string> {
    const seen = this.text.split(/\r?\n/).find((l) => re.test(l));
    if (seen !== undefined) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const waiter = {
        re,
        resolve: (line: string) => {
          clearTimeout(timer);
          resolve(line);
        },
      };
      const timer = setTimeout(() => {
        this.waiters.splice(this.waiters.indexOf(waiter), 1);
        reject(new TimeoutError(`no line matching ${re} on ${this.name} within ${ms} ms`));
      }, ms);
      this.waiters.push(waiter);
    });
  }
}
