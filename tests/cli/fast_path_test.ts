import assert from "node:assert/strict";
import { parseFastPath } from "../../src/cli/fast_path.ts";
import { summarize } from "../../scripts/junit_summary.ts";

const token = (...args: string[]) => parseFastPath(["auth", "token", ...args]);

Deno.test("the fast path takes auth token's and auth ls's own options", () => {
  assert.deepEqual(token(), { command: "token", options: { json: false }, color: true });
  assert.deepEqual(token("--json", "--account", "a:b@c", "--env=staging"), {
    command: "token",
    options: { json: true, account: "a:b@c", env: "staging" },
    color: true,
  });
  assert.deepEqual(
    parseFastPath(["auth", "ls", "--base-url", "http://127.0.0.1:1", "--no-color"]),
    {
      command: "list",
      options: { json: false, baseUrl: "http://127.0.0.1:1" },
      color: false,
    },
  );
  assert.equal(parseFastPath(["auth", "list", "--json"])?.command, "list");
});

Deno.test("the fast path defers anything else to the full parser", () => {
  assert.equal(token("--help"), undefined);
  assert.equal(token("--account"), undefined);
  assert.equal(token("--account", "--json"), undefined);
  assert.equal(token("extra"), undefined);
  assert.equal(parseFastPath(["auth", "ls", "--account", "x"]), undefined);
  assert.equal(parseFastPath(["auth", "login", "--client-id", "--json"]), undefined);
  assert.equal(parseFastPath(["auth", "login", "-c=x"]), undefined);
  assert.equal(parseFastPath(["auth", "login", "--", "x"]), undefined);
  assert.equal(parseFastPath(["config", "list"]), undefined);
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

Deno.test("the fast path takes auth login's options, with commander's defaults", () => {
  assert.deepEqual(parseFastPath(["auth", "login"]), {
    command: "login",
    options: { json: false, service: false, force: false, device: false, launchBrowser: true },
    color: true,
  });
  assert.deepEqual(
    parseFastPath([
      ...["auth", "login", "--client-id", "svc", "-c", "-", "--service", "--force"],
      ...["--no-launch-browser", "--secret-file=k.pem", "--json"],
    ])?.options,
    {
      json: true,
      service: true,
      force: true,
      device: false,
      launchBrowser: false,
      clientId: "svc",
      clientSecret: "-",
      secretFile: "k.pem",
    },
  );
});
