import { describe, expect, it } from 'vitest';
import { splitArgs } from '../src/launcher/split-args.js';

describe('splitArgs', () => {
  it('splits on whitespace', () => {
    expect(splitArgs('  --duration 3m   --no-progress ')).toEqual(['--duration', '3m', '--no-progress']);
    expect(splitArgs('')).toEqual([]);
  });

  it('keeps quoted parts together and drops the quotes', () => {
    expect(splitArgs(`--start-time "2024-01-01T00:00:00Z" --topic 'a b' x"y z"`)).toEqual([
      '--start-time',
      '2024-01-01T00:00:00Z',
      '--topic',
      'a b',
      'xy z',
    ]);
    expect(splitArgs(`""`)).toEqual(['']);
  });

  it('honours backslash escapes', () => {
    expect(splitArgs('a\\ b "c\\"d"')).toEqual(['a b', 'c"d']);
  });

  it('rejects an unterminated quote', () => {
    expect(() => splitArgs('--topic "abc')).toThrow(/unterminated/);
  });
});
