/** Small statistics for the bench. */

/** The median (mean of the two middle values for an even count). */
export const median = (values: ReadonlyArray<number>): number => {
  if (values.length === 0) return Number.NaN
  const sorted = [...values].sort((a, b) => a - b)
  const mid = Math.floor(sorted.length / 2)
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2
}

/** Runs `fn` repeatedly for ~`ms` milliseconds after a warm-up; returns operations per second. */
export const opsPerSecond = async (fn: () => unknown, ms = 1000, batch = 100): Promise<number> => {
  for (let i = 0; i < 2 * batch; i++) await fn()
  let n = 0
  const start = performance.now()
  while (performance.now() - start < ms) {
    for (let i = 0; i < batch; i++) await fn()
    n += batch
  }
  return n / ((performance.now() - start) / 1000)
}
