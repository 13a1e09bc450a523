/**
 * The EM provider: the scheme (`Provider.ts`), the events (`Events.ts`) and the sign doctor
 * (`doctor.ts`), as one namespace.
 *
 * @since 0.1.0
 */
export * from "./doctor.ts"
export * from "./Events.ts"
export * from "./Provider.ts"
