/** The distinct KEYS of one script call, in order; arguments refer to them by 1-based index. */
export class ScriptKeys {
  private readonly indexes = new Map<string, number>();

  /** The key's 1-based index, added when new. */
  indexOf(key: string): number {
    let index = this.indexes.get(key);
    if (index === undefined) {
      index = this.indexes.size + 1;
      this.indexes.set(key, index);
    }
    return index;
  }

  get size(): number {
    return this.indexes.size;
  }

  get keys(): string[] {
    return [...this.indexes.keys()];
  }
}
