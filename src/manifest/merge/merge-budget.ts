/**
 * How many values merging may place for one stack. Each file is already limited to 10 times its
 * own size once its aliases are expanded (yaml/expanded-size.ts); merging can multiply again: a
 * chain of services that each `extends` the one before and add a list entry makes a quadratic
 * document, and a file included many times is copied as many times. Real stacks place a few
 * thousand values; past this budget the stack is refused instead of exhausting memory.
 */
export const MAX_MERGED_VALUES = 2_000_000;

export class MergeBudgetExceeded extends Error {
  constructor() {
    super(`the stack's files expand to more than ${MAX_MERGED_VALUES} values once merged (extends, include, override files); refusing it`);
  }
}

export class MergeBudget {
  private left = MAX_MERGED_VALUES;

  /** Counts `n` values placed; throws MergeBudgetExceeded past the budget. */
  spend(n = 1): void {
    this.left -= n;
    if (this.left < 0) throw new MergeBudgetExceeded();
  }
}
