/**
 * Prints `N passed, M failed` from a JUnit report written by `deno test --junit-path` (deno's
 * own summary line is not in that form).
 *
 * @module
 */

/** Counts test cases and failures in a JUnit XML text (ignored cases are not counted). */
export function summarize(xml: string): { passed: number; failed: number; skipped: number } {
  let passed = 0;
  let failed = 0;
  let skipped = 0;
  for (const match of xml.matchAll(/<testcase\b[^>]*?(\/>|>([\s\S]*?)<\/testcase>)/g)) {
    const body = match[2] ?? "";
    if (/<failure\b|<error\b/.test(body)) failed++;
    else if (/<skipped\b/.test(body)) skipped++;
    else passed++;
  }
  return { passed, failed, skipped };
}

if (import.meta.main) {
  const path = Deno.args[0];
  let xml = "";
  try {
    xml = await Deno.readTextFile(path);
  } catch {
    console.log("0 passed, 1 failed");
    Deno.exit(1);
  }
  const { passed, failed } = summarize(xml);
  console.log(`${passed} passed, ${failed} failed`);
}
