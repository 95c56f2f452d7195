/** Avro's long encoding of `n` (zigzag, then a little-endian base-128 varint), for tests that forge bytes. */
export function zigzagVarint(n: bigint): Buffer {
  let z = n >= 0n ? n * 2n : -n * 2n - 1n;
  const out: number[] = [];
  do {
    const b = Number(z & 0x7fn);
    z >>= 7n;
    out.push(z > 0n ? b | 0x80 : b);
  } while (z > 0n);
  return Buffer.from(out);
}
