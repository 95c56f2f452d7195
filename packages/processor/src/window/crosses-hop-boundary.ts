/**
 * `crossesHopBoundary(previousEndMs, endMs, hopMs)`: the one definition of hop emission in the processor.
 * A window looked at once per hop (rather than on every reading) is looked at when its end moves across a
 * multiple of `hopMs` (epoch-aligned): some k with previousEndMs < k × hopMs <= endMs. A fresh window
 * (`previousEndMs` NaN or −Infinity: nothing seen yet) always is; an end that does not move forward (an
 * out-of-order reading) never is. Pure, O(1), no allocation: the RxJS operator (`slidingWindow`'s `hopMs`)
 * and the rule engine (a rule's `{size, hop}` window) both decide with it.
 */
export function crossesHopBoundary(previousEndMs: number, endMs: number, hopMs: number): boolean {
  // written as a negation so that NaN / −Infinity (a fresh window) compare as "crossed"
  return !(Math.floor(endMs / hopMs) <= Math.floor(previousEndMs / hopMs));
}
