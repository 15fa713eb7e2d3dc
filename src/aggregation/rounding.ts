/**
 * Integer division rounded half away from zero, the one rounding used by every rule.
 *
 * Why half away from zero: it is symmetric (round(-x) = -round(x)), so aggregating negated updates
 * gives the negated result, and it is what the sparse pipeline's quantizer uses.
 */

/**
 * `numerator / denominator` rounded half away from zero, exact for safe integers.
 *
 * Callers keep |numerator| < 2^53 and 0 < denominator < 2^53. Floating division may be off by one ulp
 * near an integer boundary, so the quotient is corrected with the exact integer remainder; q·d and the
 * remainder stay below 2^53 in magnitude, hence every step is exact.
 */
export function divRoundHalfAwayFromZero(numerator: number, denominator: number): number {
  const magnitude = Math.abs(numerator);
  let quotient = Math.floor(magnitude / denominator);
  let remainder = magnitude - quotient * denominator;
  if (remainder < 0) {
    quotient -= 1;
    remainder += denominator;
  } else if (remainder >= denominator) {
    quotient += 1;
    remainder -= denominator;
  }
  if (2 * remainder >= denominator) quotient += 1;
  return numerator < 0 ? -quotient : quotient;
}

/** `numerator / denominator` rounded half away from zero, for any bigints with denominator > 0. */
export function divRoundHalfAwayFromZeroBig(numerator: bigint, denominator: bigint): bigint {
  const magnitude = numerator < 0n ? -numerator : numerator;
  let quotient = magnitude / denominator;
  const remainder = magnitude - quotient * denominator;
  if (2n * remainder >= denominator) quotient += 1n;
  return numerator < 0n ? -quotient : quotient;
}
