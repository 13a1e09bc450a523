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

// Code-unit order of the names; `sort` is stable, so pairs of one name keep their given order.
const byName = (a: readonly [string, Value], b: readonly [string, Value]): number =>
  a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0

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
  const exclude = options?.exclude
  const skipEmpty = options?.skipEmpty ?? true
  const kv = options?.keyValueSeparator ?? "="
  const separator = options?.pairSeparator ?? "&"
  const entries: Array<readonly [string, Value]> = []
  const add = (name: string, value: Value): void => {
    if (!(skipEmpty && isEmpty(value)) && (exclude === undefined || !exclude.includes(name))) {
      entries.push([name, value])
    }
  }
  if (Symbol.iterator in params) {
    for (const [name, value] of params as Iterable<readonly [string, Value]>) add(name, value)
  } else {
    const record = params as Readonly<Record<string, Value>>
    for (const name of Object.keys(record)) add(name, record[name])
  }
  if ((options?.sort ?? "ascii") === "ascii") entries.sort(byName)
  let out = ""
  for (let i = 0; i < entries.length; i++) {
    const [name, value] = entries[i]!
    out += `${i === 0 ? "" : separator}${name}${kv}${isEmpty(value) ? "" : String(value)}`
  }
  return out
}
