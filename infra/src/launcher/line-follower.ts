/**
 * Follows a growing file (a service's log, as `tail -f` would) and hands over complete new lines on each
 * `poll()`, splitting on newline bytes so a multi-byte character is never cut in two. Starts at the file's
 * current end unless `fromStart`; starts over when the file is truncated.
 */
import { closeSync, existsSync, openSync, readSync, statSync } from 'node:fs';

export class LineFollower {
  private offset: number;
  private partial: Buffer = Buffer.alloc(0);

  constructor(
    readonly file: string,
    options: { fromStart?: boolean } = {},
  ) {
    this.offset = options.fromStart || !existsSync(file) ? 0 : statSync(file).size;
  }

  poll(): string[] {
    if (!existsSync(this.file)) return [];
    const size = statSync(this.file).size;
    if (size < this.offset) this.offset = 0; // truncated
    if (size === this.offset) return [];
    const fd = openSync(this.file, 'r');
    try {
      const buf = Buffer.alloc(size - this.offset);
      const read = readSync(fd, buf, 0, buf.length, this.offset);
      this.offset += read;
      // split on the last newline byte, so a multi-byte character is never cut in two
      const bytes = Buffer.concat([this.partial, buf.subarray(0, read)]);
      const end = bytes.lastIndexOf(0x0a);
      if (end < 0) {
        this.partial = bytes;
        return [];
      }
      this.partial = Buffer.from(bytes.subarray(end + 1));
      return bytes.subarray(0, end).toString('utf8').split('\n');
    } finally {
      closeSync(fd);
    }
  }
}
