/**
 * Loading our own modules only when a command needs them.
 *
 * Deno prefetches every literal `import("./x.ts")` of a module it loads, with that module's whole
 * graph (npm packages included), before any code runs: literal specifiers in the command tree
 * would load every command at start-up. A specifier computed at run time is loaded only when the
 * call happens. The type argument (`typeof import("./x.ts")`, a type-only reference that loads
 * nothing) keeps the call type-checked. Compiled binaries get these modules with `--include`.
 *
 * @module
 */

/** Imports the module at `url` (from `import.meta.resolve`) when called. */
export function lazyImport<T>(url: string): Promise<T> {
  return import(url);
}
