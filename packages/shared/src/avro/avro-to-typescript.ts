/**
 * Renders TypeScript declarations for our Avro schemas, so the types in `types.generated.ts` cannot drift
 * from the `.avsc` files: `pnpm --filter @sensor-pipeline/shared gen:types` writes them and a unit test
 * fails when the checked-in file differs from what this renders. Covers the Avro subset our schemas use.
 */
type AvroSchema = string | AvroSchema[] | { [key: string]: unknown };

const PRIMITIVES: Record<string, string> = {
  null: 'null',
  boolean: 'boolean',
  int: 'number',
  long: 'number',
  float: 'number',
  double: 'number',
  bytes: 'Buffer',
  string: 'string',
};

export function avroToTypeScript(schemas: readonly AvroSchema[]): string {
  const out: string[] = [];
  const seen = new Set<string>();

  const typeOf = (schema: AvroSchema): string => {
    if (typeof schema === 'string') {
      const primitive = PRIMITIVES[schema];
      if (primitive) return primitive;
      return schema.split('.').pop()!;
    }
    if (Array.isArray(schema)) return schema.map(typeOf).join(' | ');
    const type = schema['type'] as AvroSchema;
    const name = schema['name'] as string | undefined;
    const doc = schema['doc'] as string | undefined;
    switch (type) {
      case 'record': {
        const fields = schema['fields'] as { name: string; type: AvroSchema; doc?: string }[];
        const body = fields
          .map((f) => `${f.doc ? `  /** ${f.doc} */\n` : ''}  ${f.name}: ${typeOf(f.type)};`)
          .join('\n');
        declare(name!, `${doc ? `/** ${doc} */\n` : ''}export interface ${name} {\n${body}\n}`);
        return name!;
      }
      case 'enum': {
        const symbols = schema['symbols'] as string[];
        declare(
          name!,
          `${doc ? `/** ${doc} */\n` : ''}export type ${name} = ${symbols.map((s) => `'${s}'`).join(' | ')};`,
        );
        return name!;
      }
      case 'map':
        return `Record<string, ${typeOf(schema['values'] as AvroSchema)}>`;
      case 'array':
        return `Array<${typeOf(schema['items'] as AvroSchema)}>`;
      default:
        return typeOf(type);
    }
  };

  const declare = (name: string, text: string): void => {
    if (seen.has(name)) return;
    seen.add(name);
    out.push(text);
  };

  for (const schema of schemas) typeOf(schema);
  return `// Generated from packages/shared/schemas/*.avsc by scripts/gen-types.ts. Do not edit.\n\n${out.join('\n\n')}\n`;
}
