import assert from "node:assert/strict";
import { parseTokenArgs } from "../../src/cli/token_fast.ts";
import { summarize } from "../../scripts/junit_summary.ts";

Deno.test("auth token's lean parser takes its own options", () => {
  assert.deepEqual(parseTokenArgs([]), { json: false });
  assert.deepEqual(parseTokenArgs(["--json", "--account", "a:b@c", "--env=staging"]), {
    json: true,
    account: "a:b@c",
    env: "staging",
  });
  assert.deepEqual(parseTokenArgs(["--base-url", "http://127.0.0.1:1", "--no-color"]), {
    json: false,
    baseUrl: "http://127.0.0.1:1",
  });
});

Deno.test("auth token's lean parser defers anything else to the full parser", () => {
  assert.equal(parseTokenArgs(["--help"]), undefined);
  assert.equal(parseTokenArgs(["--account"]), undefined);
  assert.equal(parseTokenArgs(["--account", "--json"]), undefined);
  assert.equal(parseTokenArgs(["extra"]), undefined);
});

Deno.test("the CI summary counts JUnit test cases", () => {
  const xml = `<testsuites><testsuite>
    <testcase name="a" classname="x" time="0.1"></testcase>
    <testcase name="b" classname="x" time="0.1"><failure message="boom"/></testcase>
    <testcase name="c" classname="x" time="0"/>
    <testcase name="d"><skipped/></testcase>
  </testsuite></testsuites>`;
  assert.deepEqual(summarize(xml), { passed: 2, failed: 1, skipped: 1 });
});
