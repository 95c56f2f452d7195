/** YAML as docker compose reads it: YAML 1.1-style `<<:` merge keys, duplicate keys refused. */
import { parse } from 'yaml';

export function parseYaml(source: string): unknown {
  return parse(source, { merge: true, uniqueKeys: true });
}
