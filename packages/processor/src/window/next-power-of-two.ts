/** Smallest power of two >= n (n >= 1): ring buffers use power-of-two capacities so wrapping is a mask. */
export function nextPowerOfTwo(n: number): number {
  let p = 1;
  while (p < n) p *= 2;
  return p;
}
