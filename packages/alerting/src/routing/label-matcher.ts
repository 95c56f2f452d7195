/**
 * Alertmanager's label matchers, as its inhibition rules and silences write them: `name="value"`,
 * `name=value`, `name!="value"`, `name=~"regex"`, `name!~"regex"` (regexes anchored at both ends, as
 * Alertmanager anchors them). A label an alert does not have matches as the empty string, so `name=""`
 * selects alerts without it. Parsing refuses anything else with a message that shows the expected shape.
 */
export type MatchOp = '=' | '!=' | '=~' | '!~';

export interface LabelMatcher {
  readonly name: string;
  readonly op: MatchOp;
  readonly value: string;
  readonly text: string;
  matches(labels: Readonly<Record<string, string>>): boolean;
}

const SHAPE = /^\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~|!=|=)\s*(?:"((?:[^"\\]|\\.)*)"|([^\s"'=!~,{}]*))\s*$/;

export function parseLabelMatcher(text: string): LabelMatcher {
  const m = SHAPE.exec(text);
  if (!m)
    throw new SyntaxError(
      `cannot parse matcher "${text}": expected name="value", name!="value", name=~"regex" or name!~"regex"`,
    );
  const name = m[1]!;
  const op = m[2] as MatchOp;
  const value = m[3] !== undefined ? m[3].replace(/\\(.)/g, '$1') : (m[4] ?? '');
  let test: (v: string) => boolean;
  if (op === '=~' || op === '!~') {
    let re: RegExp;
    try {
      re = new RegExp(`^(?:${value})$`);
    } catch (err) {
      throw new SyntaxError(`matcher "${text}": invalid regular expression: ${(err as Error).message}`);
    }
    test = op === '=~' ? (v) => re.test(v) : (v) => !re.test(v);
  } else {
    test = op === '=' ? (v) => v === value : (v) => v !== value;
  }
  return { name, op, value, text, matches: (labels) => test(labels[name] ?? '') };
}

/** True when every matcher matches. */
export function matchesAll(matchers: readonly LabelMatcher[], labels: Readonly<Record<string, string>>): boolean {
  return matchers.every((m) => m.matches(labels));
}
