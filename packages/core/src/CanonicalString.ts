/**
 * The canonical parameter string that many payment and ERP platforms sign: the parameters (minus
 * the signature itself, usually minus empty values), sorted by name, joined as `k=v&k=v` — or with
 * other separators (`k1v1k2v2`). Configurable, because every platform varies it slightly.
 *
 * @since 0.1.0
 */

/**
 * A parameter value. `null`, `undefined` and `""` count as empty. Numbers should reach this builder
 * as their source text (see `LosslessJson` with `numbers: "source"`): `100.10` must not become
 * `100.1`.
 *
 * @since 0.1.0
 * @category models
 */
export type Value = string | number | bigint | boolean | null | undefined

/**
 * Parameters: a record or name/value pairs.
 *
 * @since 0.1.0
 * @category models
 */
export type Params = Readonly<Record<string, Value>> | Iterable<readonly [string, Value]>

/**
 * Options of {@link build}.
 *
 * @since 0.1.0
 * @category models
 */
export interface Options {
  /** Parameter names left out (e.g. `["sign"]`). Default: none. */
  readonly exclude?: ReadonlyArray<string> | undefined
  /** Leave out parameters whose value is `null`, `undefined` or `""`. Default `true`. */
  readonly skipEmpty?: boolean | undefined
  /** Between pairs. Default `"&"`. */
  readonly pairSeparator?: string | undefined
  /** Between a name and its value. Default `"="`. */
  readonly keyValueSeparator?: string | undefined
  /** `"ascii"` (default): by name, code-unit order; `"none"`: as given. */
  readonly sort?: "ascii" | "none" | undefined
}

const isEmpty = (value: Value): boolean => value === null || value === undefined || value === ""

const entriesOf = (params: Params): Array<readonly [string, Value]> =>
  Symbol.iterator in params ? Array.from(params as Iterable<readonly [string, Value]>) : Object.entries(params)

/**
 * Builds the canonical string of the parameters.
 *
 * @since 0.1.0
 * @category constructors
 * @example
 * ```ts
 * import { CanonicalString } from "@hookline/core/provider"
 *
 * CanonicalString.build({ b: "2", a: "1", sign: "x", c: "" }, { exclude: ["sign"] })
 * // "a=1&b=2"
 * ```
 */
export const build = (params: Params, options?: Options): string => {
  const exclude = new Set(options?.exclude ?? [])
  const skipEmpty = options?.skipEmpty ?? true
  const kv = options?.keyValueSeparator ?? "="
  const entries = entriesOf(params).filter(([name, value]) => !exclude.has(name) && !(skipEmpty && isEmpty(value)))
  if ((options?.sort ?? "ascii") === "ascii") {
    entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
  }
  return entries.map(([name, value]) => `${name}${kv}${isEmpty(value) ? "" : String(value)}`).join(
    options?.pairSeparator ?? "&"
  )
}
