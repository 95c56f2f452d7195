/**
 * The simulator's only source of randomness: small, fast, seeded and ours, so the same seed gives the same
 * readings byte for byte on every machine and Node version (Math.random is neither seedable nor stable).
 *
 * Two shapes, both on 32-bit integer arithmetic (`Math.imul`, `>>>`), exact in JavaScript:
 * - counter-based (`uniformAt`, `normalAt`, `gaussianAt`): a random number is a hash of (stream, index), so a signal can be
 *   a pure function of time and any reading can be computed without the ones before it;
 * - sequential (`Sfc32`, Chris Doty-Humphrey's Small Fast Counter, 128-bit state, passes PractRand), for
 *   runs of random bytes.
 *
 * A stream key is derived from the run's seed and names (`streamKey(seed, deviceId, metric, 'noise')`), so
 * every random choice belongs to one (seed, device, metric) and adding a device changes no other stream.
 * The mixer is `lowbias32` (Chris Wellons' hash-prospector; bias 0.17 for a 32-bit avalanche).
 */

const TWO_POW_32 = 4_294_967_296;
const GOLDEN = 0x9e3779b9;

/** lowbias32: a bijective 32-bit mixer with excellent avalanche. */
export function mix32(x: number): number {
  x ^= x >>> 16;
  x = Math.imul(x, 0x7feb352d);
  x ^= x >>> 15;
  x = Math.imul(x, 0x846ca68b);
  x ^= x >>> 16;
  return x >>> 0;
}

/** 32-bit hash of a string (UTF-16 code units), continued from `h`. */
export function hashString(text: string, h = 0x811c9dc5): number {
  for (let i = 0; i < text.length; i++) h = mix32((h ^ text.charCodeAt(i)) + GOLDEN);
  return mix32(h ^ text.length);
}

/** The 32-bit seed of a run from a user's `--seed` (any string or integer). */
export function seedFrom(seed: string | number): number {
  return hashString(`seed:${String(seed)}`);
}

/** A stream key: the run's seed combined with names (device id, metric, purpose) and numbers. */
export function streamKey(seed: number, ...parts: readonly (string | number)[]): number {
  let h = mix32(seed ^ 0x5bd1e995);
  for (const part of parts) h = typeof part === 'number' ? mix32(h + mix32(part >>> 0) + GOLDEN) : hashString(part, h);
  return h;
}

/** Uniform 32-bit integer number `index` of stream `key`; `index` is any non-negative integer below 2^53. */
export function uint32At(key: number, index: number): number {
  const lo = index >>> 0;
  const hi = (index / TWO_POW_32) >>> 0;
  return mix32(mix32(key ^ lo) + Math.imul(hi ^ GOLDEN, 0x2c1b3c6d) + lo);
}

/** Uniform in [0, 1): number `index` of stream `key`. */
export function uniformAt(key: number, index: number): number {
  return uint32At(key, index) / TWO_POW_32;
}

/** Standard normal (mean 0, deviation 1): number `index` of stream `key` (Box–Muller on two uniforms). */
export function normalAt(key: number, index: number): number {
  const u1 = (uint32At(key, index) + 1) / (TWO_POW_32 + 1); // (0, 1): log never sees 0
  const u2 = uint32At(key ^ 0x68e31da4, index) / TWO_POW_32;
  return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
}

const IRWIN_HALL_MEAN = 510; // 4 bytes of 0..255
const IRWIN_HALL_SCALE = 1 / Math.sqrt((4 * (256 * 256 - 1)) / 12);

/**
 * Approximately standard normal: number `index` of stream `key`, as the sum of the four bytes of one hash
 * (Irwin–Hall), rescaled to mean 0 and deviation 1. Bounded to ±3.45 and several times cheaper than
 * `normalAt` (no log, sqrt or cos) — right for sensor noise, where the hot loop draws three per reading.
 */
export function gaussianAt(key: number, index: number): number {
  const h = uint32At(key, index);
  return ((h & 0xff) + ((h >>> 8) & 0xff) + ((h >>> 16) & 0xff) + (h >>> 24) - IRWIN_HALL_MEAN) * IRWIN_HALL_SCALE;
}

/** Small Fast Counter (sfc32): a sequential generator for runs of random numbers, seeded from one key. */
export class Sfc32 {
  private a: number;
  private b: number;
  private c: number;
  private d = 1;

  constructor(key: number) {
    this.a = mix32(key ^ 0xa0761d65);
    this.b = mix32(key ^ 0xe7037ed1);
    this.c = mix32(key ^ 0x8ebc6af0);
    for (let i = 0; i < 12; i++) this.nextUint32(); // warm up, as the reference implementation does
  }

  nextUint32(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }

  /** Uniform in [0, 1). */
  next(): number {
    return this.nextUint32() / TWO_POW_32;
  }

  /** Uniform integer in [0, n). */
  nextInt(n: number): number {
    return Math.floor(this.next() * n);
  }
}
