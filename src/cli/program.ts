/**
 * The command tree. Each action imports its command module lazily, so `--help` and the hot
 * commands load only what they use.
 *
 * @module
 */

import { lazyImport } from "../lazy.ts";
import { Command, CommanderError, type OptionValues } from "@commander-js/extra-typings";
import type { Context } from "./context.ts";
import { withoutControlCharacters } from "../errors.ts";
import type { EnvironmentFlags } from "./environment.ts";

/** Options every `auth` command takes to select the environment. */
function environmentOptions<Args extends unknown[], Opts extends OptionValues>(
  command: Command<Args, Opts>,
) {
  return command
    .option("--env <name>", "environment: prod, staging or preprod (env AXWAY_ENV)")
    .option("--base-url <url>", "login service URL (env AXWAY_BASE_URL)")
    .option("--realm <name>", "realm (env AXWAY_REALM; default Broker)")
    .option("--platform-url <url>", "platform API URL (env AXWAY_PLATFORM_URL)");
}

/** Picks the environment flags out of a command's options. */
function environmentFlags(options: EnvironmentFlags): EnvironmentFlags {
  return {
    env: options.env,
    baseUrl: options.baseUrl,
    realm: options.realm,
    platformUrl: options.platformUrl,
  };
}

/** Builds the program; `version` is what `--version` prints. */
export function buildProgram(ctx: Context, version: string) {
  const program = new Command("axway")
    .description("Sign in to the Axway Amplify Platform under several accounts at once.")
    .version(version, "-v, --version", "print the version")
    .option("--no-color", "disable colours (also NO_COLOR)")
    .option("--no-banner", "accepted for compatibility; there is no banner")
    .helpOption("-h, --help", "show help")
    .exitOverride()
    .configureOutput({
      writeOut: (text) => ctx.stdout.write(text),
      // Parse errors quote what was typed: no control characters reach the terminal.
      writeErr: (text) => ctx.stderr.write(withoutControlCharacters(text)),
      outputError: (text, write) => write(text),
    });

  program.hook("preAction", (_root, action) => {
    if (action.optsWithGlobals().color === false) ctx.color = false;
  });

  const auth = program.command("auth").description("sign in, list, switch and sign out accounts");
  auth.copyInheritedSettings(program);

  environmentOptions(
    auth.command("list").alias("ls").description("list signed-in accounts (offline)"),
  )
    .option("--json", "print the accounts as JSON")
    .action(async (options) => {
      const { runList } = await lazyImport<typeof import("./commands/list.ts")>(
        import.meta.resolve("./commands/list.ts"),
      );
      await runList(ctx, { ...environmentFlags(options), json: !!options.json });
    });

  environmentOptions(
    auth.command("login").description(
      "sign in: in the browser (default), or as a service account with a client secret or key",
    ),
  )
    .option("--client-id <id>", "client ID (env AXWAY_CLIENT_ID)")
    .option(
      "-c, --client-secret <secret>",
      'client secret, or "-" to read it from stdin (env AXWAY_CLIENT_SECRET)',
    )
    .option("-s, --secret-file <path>", "PEM private key for a signed JWT (env AXWAY_SECRET_FILE)")
    .option("--service", "sign in as a service account (implied by a secret or key)")
    .option("--force", "sign in again even if already signed in")
    .option("--device", "sign in with a code on another device (no local browser needed)")
    .option("--no-launch-browser", "print the sign-in URL instead of opening a browser")
    .option("--json", "print the account as JSON")
    .action(async (options) => {
      const { runLogin } = await lazyImport<typeof import("./commands/login.ts")>(
        import.meta.resolve("./commands/login.ts"),
      );
      await runLogin(ctx, {
        ...environmentFlags(options),
        clientId: options.clientId,
        clientSecret: options.clientSecret,
        secretFile: options.secretFile,
        service: !!options.service,
        force: !!options.force,
        device: !!options.device,
        launchBrowser: options.launchBrowser !== false,
        json: !!options.json,
      });
    });

  environmentOptions(
    auth.command("logout").alias("revoke").description(
      "revoke tokens and remove accounts (all of the environment when none are named)",
    ),
  )
    .argument("[accounts...]", "account names")
    .option("--all", "all accounts of the environment")
    .option("--json", "print the removed accounts as JSON")
    .action(async (accounts, options) => {
      const { runLogout } = await lazyImport<typeof import("./commands/logout.ts")>(
        import.meta.resolve("./commands/logout.ts"),
      );
      await runLogout(ctx, {
        ...environmentFlags(options),
        accounts,
        all: !!options.all,
        json: !!options.json,
      });
    });

  environmentOptions(
    auth.command("switch").description("choose the default account and organization"),
  )
    .option("--account <name>", "account to make the default")
    .option("--org <id|guid|name>", "organization to select for that account")
    .option("--no-launch-browser", "print the organization-switch URL instead of opening it")
    .option("--json", "print the selected account as JSON")
    .action(async (options) => {
      const { runSwitch } = await lazyImport<typeof import("./commands/switch.ts")>(
        import.meta.resolve("./commands/switch.ts"),
      );
      await runSwitch(ctx, {
        ...environmentFlags(options),
        account: options.account,
        org: options.org,
        launchBrowser: options.launchBrowser !== false,
        json: !!options.json,
      });
    });

  environmentOptions(
    auth.command("whoami").description("show the default (or named) account, renewing its token"),
  )
    .argument("[account]", "account name")
    .option("--json", "print the account as JSON (an array)")
    .action(async (account, options) => {
      const { runWhoami } = await lazyImport<typeof import("./commands/whoami.ts")>(
        import.meta.resolve("./commands/whoami.ts"),
      );
      await runWhoami(ctx, { ...environmentFlags(options), account, json: !!options.json });
    });

  environmentOptions(
    auth.command("token").description("print a valid access token (for scripts)"),
  )
    .option("--account <name>", "account (default: the default account)")
    .option("--json", "print {account, accessToken, expiresAt}")
    .action(async (options) => {
      const { runToken } = await lazyImport<typeof import("./commands/token.ts")>(
        import.meta.resolve("./commands/token.ts"),
      );
      await runToken(ctx, {
        ...environmentFlags(options),
        account: options.account,
        json: !!options.json,
      });
    });

  const config = program.command("config").description(
    "show and change settings (settings.json in the config dir)",
  );
  config.copyInheritedSettings(program);

  config.command("list").alias("ls").description("list the settings and where the store key lives")
    .option("--json", "print the settings as JSON")
    .action(async (options) => {
      const { runConfigList } = await lazyImport<typeof import("./commands/config.ts")>(
        import.meta.resolve("./commands/config.ts"),
      );
      await runConfigList(ctx, { json: !!options.json });
    });

  config.command("get").description("print a setting (nothing, exit 1, when it is not set)")
    .argument("<key>", "setting name")
    .option("--json", "print {key, value} as JSON")
    .action(async (key, options) => {
      const { runConfigGet } = await lazyImport<typeof import("./commands/config.ts")>(
        import.meta.resolve("./commands/config.ts"),
      );
      await runConfigGet(ctx, { key, json: !!options.json });
    });

  config.command("set").description("check and store a setting")
    .argument("<key>", "setting name")
    .argument("<value>", "new value")
    .option("--json", "print {key, value} as JSON")
    .action(async (key, value, options) => {
      const { runConfigSet } = await lazyImport<typeof import("./commands/config.ts")>(
        import.meta.resolve("./commands/config.ts"),
      );
      await runConfigSet(ctx, { key, value, json: !!options.json });
    });

  config.command("unset").description("remove a setting (back to the default)")
    .argument("<key>", "setting name")
    .option("--json", "print {key, removed} as JSON")
    .action(async (key, options) => {
      const { runConfigUnset } = await lazyImport<typeof import("./commands/config.ts")>(
        import.meta.resolve("./commands/config.ts"),
      );
      await runConfigUnset(ctx, { key, json: !!options.json });
    });

  program.command("completion").description("print a shell completion script")
    .argument("<shell>", "bash, zsh, fish or powershell")
    .action(async (shell) => {
      const { runCompletion } = await lazyImport<typeof import("./commands/completion.ts")>(
        import.meta.resolve("./commands/completion.ts"),
      );
      await runCompletion(ctx, { shell, program });
    });

  // Called back by the completion scripts (e.g. `__complete accounts -- auth switch --account`).
  program.command("__complete", { hidden: true })
    .argument("<kind>")
    .argument("[words...]")
    .allowUnknownOption()
    .helpOption(false)
    .action(async (kind, words) => {
      const { runComplete } = await lazyImport<typeof import("./commands/completion.ts")>(
        import.meta.resolve("./commands/completion.ts"),
      );
      await runComplete(ctx, { kind, words });
    });

  return program;
}

/** Maps commander's own errors (unknown option, missing argument…) to exit codes. */
export function commanderExitCode(error: CommanderError): number {
  if (error.code === "commander.helpDisplayed" || error.code === "commander.version") return 0;
  return error.exitCode === 0 ? 0 : 2;
}
