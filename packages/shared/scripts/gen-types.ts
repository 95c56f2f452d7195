/** Writes src/avro/types.generated.ts from the .avsc files. Run: pnpm --filter @sensor-pipeline/shared gen:types */
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { avroToTypeScript } from '../src/avro/avro-to-typescript.js';
import { loadSchema, SCHEMA_FILES, type SchemaName } from '../src/avro/schemas.js';

const target = fileURLToPath(new URL('../src/avro/types.generated.ts', import.meta.url));
const names = Object.keys(SCHEMA_FILES) as SchemaName[];
writeFileSync(target, avroToTypeScript(names.map((n) => loadSchema(n) as never)));
console.log(`wrote ${target}`);
