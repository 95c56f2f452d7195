/**
 * The compact notation of a test's input series, as `promtool test rules` writes it: space-separated terms,
 * each one sample or a run of them, one sample per interval.
 * - `25` — one sample; `_` — one missing sample (the sensor sends nothing that interval);
 * - `a+bxn` / `a-bxn` — n + 1 samples a, a±b, …, a±n·b (`20+5x3` = 20 25 30 35);
 * - `axn` — n + 1 samples of a (`0x5` = six zeros); `_xn` — n missing samples.
 * Returns the samples, `undefined` for a missing one; throws a RangeError saying which term is wrong.
 */

/** Most samples one series may expand to: a test is small; a typo like `1x1e9` should not eat the memory. */
export const MAX_SERIES_SAMPLES = 1_000_000;

const NUMBER = '[-+]?(?:\\d+(?:\\.\\d*)?|\\.\\d+)(?:[eE][-+]?\\d+)?';
const RUN = new RegExp(`^(${NUMBER})(?:([-+])(${NUMBER}))?x(\\d+)$`);
const SINGLE = new RegExp(`^${NUMBER}$`);
const BLANKS = /^_x(\d+)$/;

export function expandSeries(text: string): (number | undefined)[] {
  const out: (number | undefined)[] = [];
  const push = (n: number, sample: (i: number) => number | undefined, term: string) => {
    if (out.length + n > MAX_SERIES_SAMPLES)
      throw new RangeError(`"${term}" makes the series longer than ${MAX_SERIES_SAMPLES} samples`);
    for (let i = 0; i < n; i++) out.push(sample(i));
  };
  for (const term of text.trim().split(/\s+/)) {
    if (term === '') continue;
    if (term === '_') {
      out.push(undefined);
      continue;
    }
    const blanks = BLANKS.exec(term);
    if (blanks) {
      push(Number(blanks[1]), () => undefined, term);
      continue;
    }
    if (SINGLE.test(term)) {
      push(1, () => Number(term), term);
      continue;
    }
    const run = RUN.exec(term);
    if (!run) {
      throw new RangeError(
        `"${term}" is not a sample: expected a number, _ (missing), a+bxn, a-bxn, axn or _xn (e.g. "20+5x10 _ 0x5")`,
      );
    }
    const start = Number(run[1]);
    const step = run[3] === undefined ? 0 : (run[2] === '-' ? -1 : 1) * Number(run[3]);
    push(Number(run[4]) + 1, (i) => start + i * step, term);
  }
  if (out.length === 0) throw new RangeError('expected at least one sample, e.g. "20+5x10"');
  return out;
}
