import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { avroToTypeScript, loadSchema, SCHEMA_FILES, type SchemaName } from '../src/index.js';

describe('generated TypeScript types', () => {
  it('match the .avsc files (run `pnpm --filter @sensor-pipeline/shared gen:types` after editing a schema)', () => {
    const names = Object.keys(SCHEMA_FILES) as SchemaName[];
    const expected = avroToTypeScript(names.map((n) => loadSchema(n) as never));
    const actual = readFileSync(new URL('../src/avro/types.generated.ts', import.meta.url), 'utf8');
    expect(actual).toBe(expected);
  });
});
