/**
 * Per-provider pipeline benchmarks: verify + key + claim + decode + handle + complete for a signed
 * delivery of each bundled provider (memory store). Providers are added here as they land.
 */
export interface ProviderBench {
  readonly name: string
  readonly run: () => Promise<unknown>
}

export const providerBenches = async (): Promise<ReadonlyArray<ProviderBench>> => []
