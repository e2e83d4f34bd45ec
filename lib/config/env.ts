/** The process environment as configuration code reads it: injectable in tests, never mutated. */
export type Env = Readonly<Record<string, string | undefined>>;
