/**
 * `axway completion bash|zsh|fish|powershell` (issue 8 §3): scripts generated from the command
 * tree, checked by each shell itself where it is installed (`bash -n`, `zsh -n`, `fish -n`), and
 * exercised: bash, fish and zsh (the latter with stand-ins for its completion builtins) complete
 * commands, options and the names of stored accounts, read back through the hidden
 * `axway __complete accounts` without network.
 *
 * @module
 */

import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { describeRun, runCli } from "../support/cli.ts";
import { sampleAccount } from "../store/support/helpers.ts";
import { CLI_PERMISSIONS } from "../../scripts/permissions.ts";
import { AccountStore } from "../../src/store/account_store.ts";
import type { StoredAccount } from "../../src/store/types.ts";
import type { Context } from "../../src/cli/context.ts";
import { buildProgram } from "../../src/cli/program.ts";
import { allCommands, completionSpec } from "../../src/cli/completion/spec.ts";
import { environmentFlagsOf } from "../../src/cli/commands/completion.ts";

const MAIN = fileURLToPath(new URL("../../main.ts", import.meta.url));
const CONFIG = fileURLToPath(new URL("../../deno.json", import.meta.url));

const PROD = "https://login.axway.com";
const STAGING = "https://login.axwaytest.net";
const ALICE = "amplify-cli:alice@example.com";
const BOB = "amplify-cli:bob@example.com";
const SAM = "amplify-cli:sam@example.com";
const SERVICE = "svc-deploy-bot";

function available(shell: string): boolean {
  try {
    return new Deno.Command(shell, { args: ["-c", "exit 0"], stdout: "null", stderr: "null" })
      .outputSync().success;
  } catch {
    return false;
  }
}

const SHELLS = { bash: available("bash"), zsh: available("zsh"), fish: available("fish") };
const PWSH = available("pwsh");
for (const [shell, present] of Object.entries({ ...SHELLS, pwsh: PWSH })) {
  if (!present) console.warn(`completion_test: ${shell} is not installed; its checks are skipped`);
}

async function tempDir(): Promise<{ path: string } & AsyncDisposable> {
  const path = await Deno.makeTempDir({ prefix: "axway-completion-test-" });
  return {
    path,
    [Symbol.asyncDispose]: () => Deno.remove(path, { recursive: true }).catch(() => {}),
  };
}

function account(name: string, baseUrl: string, env: string): StoredAccount {
  return sampleAccount(name, {
    issuer: `${baseUrl}/auth/realms/Broker`,
    env,
    baseUrl,
    clientId: "amplify-cli",
  });
}

/** A store (key file) with two prod people, a prod service account and one staging person. */
async function seedStore(configDir: string): Promise<void> {
  const store = new AccountStore({ configDir, keySource: { requested: "file" } });
  await store.update((doc) => {
    doc.accounts.push(
      account(BOB, PROD, "prod"),
      account(ALICE, PROD, "prod"),
      account(SERVICE, PROD, "prod"),
      account(SAM, STAGING, "staging"),
    );
  });
}

/** Writes `axway completion <shell>` to a file in `dir` and returns its path. */
async function writeScript(dir: string, shell: string): Promise<string> {
  const result = await runCli(`${dir}/cfg`, ["completion", shell]);
  assert.equal(result.code, 0, describeRun(result));
  const path = `${dir}/axway.${shell}`;
  await Deno.writeTextFile(path, result.stdout);
  return path;
}

/**
 * Runs `script` in `shell` with an `axway` function that runs the CLI (same permissions as the
 * compiled binary) on `configDir`.
 */
async function runShell(
  shell: "bash" | "zsh" | "fish",
  configDir: string,
  script: string,
  env: Record<string, string> = {},
): Promise<string> {
  const deno = Deno.execPath();
  const args = ["run", "--quiet", "--no-prompt", `--config=${CONFIG}`, ...CLI_PERMISSIONS, MAIN];
  const quoted = args.map((arg) => `'${arg}'`).join(" ");
  const define = shell === "fish"
    ? `function axway; '${deno}' ${quoted} $argv; end\n`
    : `axway() { '${deno}' ${quoted} "$@"; }\n`;
  const inherited: Record<string, string> = {};
  for (const name of ["PATH", "HOME", "DENO_DIR", "TMPDIR", "LANG"]) {
    const value = Deno.env.get(name);
    if (value !== undefined) inherited[name] = value;
  }
  const output = await new Deno.Command(shell, {
    args: shell === "fish" ? ["--no-config", "-c", define + script] : ["-c", define + script],
    env: { ...inherited, NO_COLOR: "1", AXWAY_CONFIG_DIR: configDir, ...env },
    clearEnv: true,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const stdout = new TextDecoder().decode(output.stdout);
  const stderr = new TextDecoder().decode(output.stderr);
  assert.equal(output.code, 0, `${shell} failed (${output.code}):\n${stdout}\n${stderr}`);
  return stdout;
}

Deno.test("the completion spec follows the command tree", () => {
  const program = buildProgram({} as Context, "0.0.0");
  const spec = completionSpec(program);
  const nodes = new Map(allCommands(spec).map((command) => [command.path.join(" "), command]));
  assert.deepEqual(
    spec.commands.map((command) => command.names[0]).sort(),
    ["auth", "completion", "config", "help"],
    "hidden __complete is left out",
  );
  const auth = nodes.get("auth")!;
  assert.ok(auth.commands.some((command) => command.names.join() === "list,ls"));
  assert.ok(auth.commands.some((command) => command.names.join() === "logout,revoke"));
  for (const path of ["auth switch", "auth token"]) {
    const option = nodes.get(path)!.options.find((option) => option.names.includes("--account"));
    assert.deepEqual(option?.value, { kind: "accounts" }, path);
  }
  assert.deepEqual(nodes.get("auth logout")!.args, [{ kind: "accounts" }]);
  assert.equal(nodes.get("auth logout")!.variadic, true);
  assert.deepEqual(nodes.get("auth whoami")!.args, [{ kind: "accounts" }]);
  const secretFile = nodes.get("auth login")!.options.find((o) => o.names.includes("-s"));
  assert.deepEqual(secretFile?.value, { kind: "files" });
  assert.deepEqual(nodes.get("completion")!.args, [{
    kind: "words",
    words: ["bash", "zsh", "fish", "powershell"],
  }]);
  assert.ok(nodes.get("config set")!.args[0].kind === "words");
});

Deno.test("environment flags are read from the words of the command line", () => {
  assert.deepEqual(
    environmentFlagsOf(["auth", "switch", "--env", "staging", "--realm=Other", "--account"]),
    { env: "staging", realm: "Other" },
  );
  assert.deepEqual(environmentFlagsOf(["auth", "logout", "--base-url"]), {});
});

Deno.test("every shell gets a script naming every command; unknown shells are usage errors", async () => {
  await using dir = await tempDir();
  for (const shell of ["bash", "zsh", "fish", "powershell"]) {
    const result = await runCli(`${dir.path}/cfg`, ["completion", shell]);
    assert.equal(result.code, 0, describeRun(result));
    for (const word of ["auth", "config", "completion", "whoami", "revoke", "--account"]) {
      assert.ok(result.stdout.includes(word), `${shell} script lacks ${word}`);
    }
    assert.ok(!/['"]__complete['"]/.test(result.stdout), `${shell}: __complete is offered`);
  }
  const unknown = await runCli(`${dir.path}/cfg`, ["completion", "tcsh"]);
  assert.equal(unknown.code, 2, describeRun(unknown));
  assert.match(unknown.stderr, /unknown shell "tcsh": use bash, zsh, fish, powershell/);
  const help = await runCli(`${dir.path}/cfg`, ["--help"]);
  assert.ok(!help.stdout.includes("__complete"), help.stdout);
  // Generating a script touches nothing in the config dir.
  await assert.rejects(Deno.stat(`${dir.path}/cfg`), Deno.errors.NotFound);
});

Deno.test({
  name: "bash -n accepts the bash script",
  ignore: !SHELLS.bash,
  fn: async () => {
    await using dir = await tempDir();
    const path = await writeScript(dir.path, "bash");
    const check = await new Deno.Command("bash", { args: ["-n", path], stderr: "piped" }).output();
    assert.equal(check.code, 0, new TextDecoder().decode(check.stderr));
  },
});

Deno.test({
  name: "zsh -n accepts the zsh script",
  ignore: !SHELLS.zsh,
  fn: async () => {
    await using dir = await tempDir();
    const path = await writeScript(dir.path, "zsh");
    const check = await new Deno.Command("zsh", { args: ["-n", path], stderr: "piped" }).output();
    assert.equal(check.code, 0, new TextDecoder().decode(check.stderr));
  },
});

Deno.test({
  name: "fish -n accepts the fish script",
  ignore: !SHELLS.fish,
  fn: async () => {
    await using dir = await tempDir();
    const path = await writeScript(dir.path, "fish");
    const check = await new Deno.Command("fish", { args: ["-n", path], stderr: "piped" }).output();
    assert.equal(check.code, 0, new TextDecoder().decode(check.stderr));
  },
});

Deno.test({
  name: "PowerShell parses the powershell script",
  ignore: !PWSH,
  fn: async () => {
    await using dir = await tempDir();
    const path = await writeScript(dir.path, "powershell");
    const parse = "$errors = $null; [void][System.Management.Automation.Language.Parser]::" +
      `ParseFile('${path}', [ref]$null, [ref]$errors); if ($errors) { $errors; exit 1 }`;
    const check = await new Deno.Command("pwsh", {
      args: ["-NoProfile", "-NonInteractive", "-Command", parse],
      stdout: "piped",
    }).output();
    assert.equal(check.code, 0, new TextDecoder().decode(check.stdout));
  },
});

Deno.test({
  name: "bash completes commands, options and stored account names",
  ignore: !SHELLS.bash,
  fn: async () => {
    await using dir = await tempDir();
    const cfg = `${dir.path}/cfg`;
    await seedStore(cfg);
    const script = await writeScript(dir.path, "bash");
    // COMP_WORDS/COMP_CWORD as bash sets them; `line` also sets COMP_LINE/COMP_POINT as an
    // interactive bash does (its word splitting cuts "client:user" at the colon).
    const output = await runShell(
      "bash",
      cfg,
      `source '${script}'
show() { printf '%s\\n' "== $1"; printf '%s\\n' "\${COMPREPLY[@]}"; }
words() { unset COMP_LINE COMP_POINT; COMP_WORDS=("$@"); COMP_CWORD=$(( $# - 1 )); _axway; show "$*"; }
line() { COMP_LINE="$1"; COMP_POINT=\${#1}; COMP_WORDS=(); COMP_CWORD=0; _axway; show "$1"; }
complete -p axway
words axway auth ''
words axway auth lo
words axway auth switch --account ''
words axway auth token --env staging --account ''
words axway auth whoami ''
words axway completion ''
words axway auth list --j
line 'axway auth logout amplify-cli:a'
line 'axway auth revoke ${ALICE} '
line 'axway config get auth.k'
`,
    );
    const sections = parseSections(output);
    assert.match(output, /^complete -F _axway axway$/m);
    assert.deepEqual(sections["axway auth "], [
      "list",
      "ls",
      "login",
      "logout",
      "revoke",
      "switch",
      "whoami",
      "token",
      "help",
    ]);
    assert.deepEqual(sections["axway auth lo"], ["login", "logout"]);
    assert.deepEqual(sections["axway auth switch --account "], [ALICE, BOB, SERVICE]);
    assert.deepEqual(sections["axway auth token --env staging --account "], [SAM]);
    assert.deepEqual(sections["axway auth whoami "], [ALICE, BOB, SERVICE]);
    assert.deepEqual(sections["axway completion "], ["bash", "zsh", "fish", "powershell"]);
    assert.deepEqual(sections["axway auth list --j"], ["--json"]);
    // The part after the colon, which is what bash replaces.
    assert.deepEqual(sections["axway auth logout amplify-cli:a"], ["alice@example.com"]);
    // Names already given are not offered again.
    assert.deepEqual(sections[`axway auth revoke ${ALICE} `], [BOB, SERVICE]);
    assert.deepEqual(sections["axway config get auth.k"], ["auth.keyStore"]);
  },
});

Deno.test({
  name: "fish completes commands, options and stored account names",
  ignore: !SHELLS.fish,
  fn: async () => {
    await using dir = await tempDir();
    const cfg = `${dir.path}/cfg`;
    await seedStore(cfg);
    const script = await writeScript(dir.path, "fish");
    const lines = [
      "axway ",
      "axway auth sw",
      "axway auth switch --account ",
      "axway auth switch --env staging --account ",
      "axway auth logout ",
      "axway auth ls --j",
    ];
    const output = await runShell(
      "fish",
      cfg,
      `source '${script}'
for line in ${lines.map((line) => `'${line}'`).join(" ")}
    echo "== $line"
    complete -C "$line" | string replace -r '\\t.*' ''
end
`,
    );
    const sections = parseSections(output);
    assert.deepEqual(sections["axway "].sort(), ["auth", "completion", "config", "help"]);
    assert.deepEqual(sections["axway auth sw"], ["switch"]);
    assert.deepEqual(sections["axway auth switch --account "].sort(), [ALICE, BOB, SERVICE]);
    assert.deepEqual(sections["axway auth switch --env staging --account "], [SAM]);
    assert.deepEqual(sections["axway auth logout "].sort(), [ALICE, BOB, SERVICE]);
    assert.deepEqual(sections["axway auth ls --j"], ["--json"]);
  },
});

Deno.test({
  name: "zsh offers commands, options and stored account names",
  ignore: !SHELLS.zsh,
  fn: async () => {
    await using dir = await tempDir();
    const cfg = `${dir.path}/cfg`;
    await seedStore(cfg);
    const script = await writeScript(dir.path, "zsh");
    // Stand-ins for the completion system's functions print what the script offers; `words` and
    // `CURRENT` are set as zsh sets them.
    const output = await runShell(
      "zsh",
      cfg,
      `compdef() { :; }
_describe() { local -a list; list=("\${(@P)\${@[-1]}}"); print -rl -- "\${(@)list%%:*}"; }
compadd() { local -a list; if [[ $1 == -a ]]; then list=("\${(@P)2}"); else shift; list=("$@"); fi; print -rl -- $list; }
_files() { print -r -- '(files)'; }
source '${script}'
at() { words=(\${=1}); [[ $1 == *' ' ]] && words+=(''); CURRENT=\${#words}; print -r -- "== $1"; _axway; }
at 'axway '
at 'axway auth '
at 'axway auth switch --account '
at 'axway auth whoami --env staging '
at 'axway auth login -s '
at 'axway config set '
`,
    );
    const sections = parseSections(output);
    assert.deepEqual(sections["axway "], ["auth", "config", "completion", "help"]);
    assert.ok(sections["axway auth "].includes("revoke"), output);
    assert.deepEqual(sections["axway auth switch --account "], [ALICE, BOB, SERVICE]);
    assert.deepEqual(sections["axway auth whoami --env staging "], [SAM]);
    assert.deepEqual(sections["axway auth login -s "], ["(files)"]);
    assert.ok(sections["axway config set "].includes("network.proxy"), output);
  },
});

Deno.test("__complete accounts reads the store offline for the selected environment", async () => {
  await using dir = await tempDir();
  const cfg = `${dir.path}/cfg`;
  const complete = (words: string[], env: Record<string, string> = {}) =>
    runCli(cfg, ["__complete", "accounts", "--", ...words], { env });

  const none = await complete([]);
  assert.deepEqual([none.code, none.stdout, none.stderr], [0, "", ""], "no store yet");
  await seedStore(cfg);
  assert.equal(
    (await complete(["auth", "switch", "--account"])).stdout,
    `${ALICE}\n${BOB}\n${SERVICE}\n`,
  );
  assert.equal((await complete(["auth", "switch", "--env=staging"])).stdout, `${SAM}\n`);
  assert.equal((await complete([], { AXWAY_ENV: "staging" })).stdout, `${SAM}\n`);
  assert.equal(
    (await complete(["--env", "prod"], { AXWAY_ENV: "staging" })).stdout.split("\n")[0],
    ALICE,
  );
  // Without network: a base URL nobody serves still lists (no accounts there).
  const custom = await complete(["--base-url", "https://login.invalid"]);
  assert.deepEqual([custom.code, custom.stdout], [0, ""]);
});

Deno.test("__complete prints nothing and succeeds on any error", async () => {
  await using dir = await tempDir();
  const cfg = `${dir.path}/cfg`;
  await seedStore(cfg);
  const quiet = async (words: string[], env: Record<string, string> = {}) => {
    const result = await runCli(cfg, ["__complete", "accounts", "--", ...words], { env });
    assert.deepEqual([result.code, result.stdout, result.stderr], [0, "", ""], describeRun(result));
  };
  await quiet(["--env", "nowhere"]);
  await quiet([], { AXWAY_KEY_STORE: "bogus" });
  await quiet([], { AXWAY_BASE_URL: "http://not-loopback.example" });
  const unknownKind = await runCli(cfg, ["__complete", "orgs", "--", "auth"]);
  assert.deepEqual([unknownKind.code, unknownKind.stdout], [0, ""]);

  // A store that cannot be opened: the key file is gone.
  await Deno.rename(`${cfg}/store.key`, `${cfg}/store.key.away`);
  await quiet(["auth", "switch", "--account"]);
  await Deno.rename(`${cfg}/store.key.away`, `${cfg}/store.key`);
  // A damaged store file.
  const bytes = await Deno.readFile(`${cfg}/accounts.enc`);
  bytes[bytes.length - 1] ^= 0xff;
  await Deno.writeFile(`${cfg}/accounts.enc`, bytes);
  await quiet(["auth", "logout"]);
  // A broken settings file.
  await Deno.writeTextFile(`${cfg}/settings.json`, "{");
  await quiet([]);
});

/** Splits output at "== <title>" lines into the lines under each title. */
function parseSections(output: string): Record<string, string[]> {
  const sections: Record<string, string[]> = {};
  let current: string[] | undefined;
  for (const line of output.split("\n")) {
    if (line.startsWith("== ")) sections[line.slice(3)] = current = [];
    else if (current && line !== "") current.push(line);
  }
  return sections;
}
