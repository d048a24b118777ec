import assert from "node:assert/strict";
import {
  canonicalEnvironmentName,
  normaliseUrl,
  resolveEnvironment,
} from "../../src/config/environments.ts";
import { configDir } from "../../src/config/paths.ts";
import { CliError } from "../../src/errors.ts";

const usage = (fn: () => unknown) =>
  assert.throws(fn, (error) => error instanceof CliError && error.exitCode === 2);

Deno.test("the default environment is prod with the Broker realm", () => {
  assert.deepEqual(resolveEnvironment([]), {
    name: "prod",
    baseUrl: "https://login.axway.com",
    realm: "Broker",
    issuer: "https://login.axway.com/auth/realms/Broker",
    platformUrl: "https://platform.axway.com",
  });
});

Deno.test("environment aliases are case-insensitive", () => {
  assert.equal(canonicalEnvironmentName("Production"), "prod");
  assert.equal(canonicalEnvironmentName("TEST"), "staging");
  assert.equal(canonicalEnvironmentName("preproduction"), "preprod");
  usage(() => canonicalEnvironmentName("dev"));
});

Deno.test("a higher level wins: flag over variable over settings", () => {
  const env = resolveEnvironment([{ env: "staging" }, { env: "preprod" }, { env: "prod" }]);
  assert.equal(env.name, "prod");
  assert.equal(resolveEnvironment([{ env: "prod" }, {}, { env: "test" }]).name, "staging");
});

Deno.test("an env at a higher level replaces URLs from lower levels", () => {
  const env = resolveEnvironment([{ baseUrl: "https://sso.example.com" }, { env: "staging" }]);
  assert.equal(env.name, "staging");
  assert.equal(env.baseUrl, "https://login.axwaytest.net");
  assert.equal(env.platformUrl, "https://platform.axwaytest.net");
});

Deno.test("a custom base URL without a platform URL turns platform calls off", () => {
  const env = resolveEnvironment([{ env: "prod" }, { baseUrl: "https://sso.example.com/" }]);
  assert.equal(env.name, "custom");
  assert.equal(env.platformUrl, undefined);
  assert.equal(env.issuer, "https://sso.example.com/auth/realms/Broker");
  const withPlatform = resolveEnvironment([{
    baseUrl: "http://127.0.0.1:8080",
    platformUrl: "http://127.0.0.1:9090/",
    realm: "Other",
  }]);
  assert.equal(withPlatform.platformUrl, "http://127.0.0.1:9090");
  assert.equal(withPlatform.issuer, "http://127.0.0.1:8080/auth/realms/Other");
});

Deno.test("a base URL equal to a named environment's keeps its name", () => {
  assert.equal(resolveEnvironment([{ baseUrl: "https://login.axwaytest.net/" }]).name, "staging");
});

Deno.test("plain http is allowed only on loopback hosts", () => {
  assert.equal(normaliseUrl("http://localhost:3000/", "base URL"), "http://localhost:3000");
  assert.equal(normaliseUrl("http://[::1]:3000", "base URL"), "http://[::1]:3000");
  usage(() => normaliseUrl("http://example.com", "base URL"));
  usage(() => normaliseUrl("ftp://example.com", "base URL"));
  usage(() => normaliseUrl("not a url", "base URL"));
  usage(() => normaliseUrl("https://user:pw@example.com", "base URL"));
  usage(() => resolveEnvironment([{ realm: "a/b" }]));
});

Deno.test("config dir follows AXWAY_CONFIG_DIR, XDG, macOS and Windows conventions", () => {
  const env = (vars: Record<string, string>) => (name: string) => vars[name];
  assert.equal(configDir(env({ AXWAY_CONFIG_DIR: "/x", HOME: "/h" }), "linux"), "/x");
  assert.equal(configDir(env({ HOME: "/h" }), "linux"), "/h/.config/axway");
  assert.equal(configDir(env({ HOME: "/h", XDG_CONFIG_HOME: "/c" }), "linux"), "/c/axway");
  assert.equal(
    configDir(env({ HOME: "/h" }), "darwin"),
    "/h/Library/Application Support/axway",
  );
  assert.match(configDir(env({ APPDATA: "C:\\Users\\a\\AppData\\Roaming" }), "windows"), /axway$/);
});

Deno.test("only winning values are checked: a flag overrides a bad variable or setting", () => {
  assert.equal(
    resolveEnvironment([{ env: "bogus" }, { env: "garbage" }, { env: "prod" }]).name,
    "prod",
  );
  const env = resolveEnvironment([{ baseUrl: "ftp://x" }, { baseUrl: "http://127.0.0.1:8180" }]);
  assert.equal(env.baseUrl, "http://127.0.0.1:8180");
  usage(() => resolveEnvironment([{}, { env: "garbage" }]));
});

Deno.test("URLs: 127.0.0.0/8 is loopback; passwords are never echoed; issuer URLs are refused", () => {
  assert.equal(normaliseUrl("http://127.1.2.3:8080", "base URL"), "http://127.1.2.3:8080");
  assert.throws(
    () => normaliseUrl("https://user:s3cr3t@example.com", "base URL"),
    (error) => error instanceof CliError && !error.message.includes("s3cr3t"),
  );
  usage(() => normaliseUrl("https://login.example.com/auth/realms/Broker", "base URL"));
  usage(() => resolveEnvironment([{ realm: ".." }]));
});
