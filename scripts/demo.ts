/**
 * `deno task demo`: the main job end to end against the bundled identity provider and platform
 * stand-in on loopback — service-account logins (client secret, key file), a browser sign-in
 * completed by the test driver, listing, switching and logging out. Nothing leaves 127.0.0.1.
 *
 * @module
 */

import { type CliResult, runCli } from "../tests/support/cli.ts";
import { BrowserDriver } from "../tests/support/driver.ts";
import { CLIENTS, startIdp, USERS } from "../tests/support/idp.ts";
import { AUTHORIZATION_URL, startCli } from "../tests/support/login_flow.ts";

const bold = (text: string) => Deno.stdout.isTerminal() ? `\x1b[1m${text}\x1b[22m` : text;

function show(args: string[], result: CliResult): void {
  console.log(bold(`\n$ axway ${args.join(" ")}`));
  const text = (result.stdout + result.stderr).trimEnd();
  if (text) console.log(text);
  if (result.code !== 0) throw new Error(`axway ${args.join(" ")} exited with ${result.code}`);
}

async function main(): Promise<void> {
  const idp = await startIdp();
  const configDir = await Deno.makeTempDir({ prefix: "axway-demo-" });
  const env = ["--base-url", idp.baseUrl, "--platform-url", idp.platformUrl];
  const run = async (args: string[], stdin?: string) => {
    show(args, await runCli(configDir, [...args, ...env], { stdin }));
  };
  try {
    console.log(`Bundled identity provider: ${idp.issuer}`);
    console.log(`Platform stand-in:         ${idp.platformUrl}`);
    console.log(`Config dir (temporary):    ${configDir}`);
    console.log("Every command below also gets: " + env.join(" "));

    await run(
      ["auth", "login", "--client-id", CLIENTS.basic.clientId, "--client-secret", "-"],
      CLIENTS.basic.clientSecret,
    );
    await run([
      "auth",
      "login",
      "--client-id",
      CLIENTS.es256.clientId,
      "--secret-file",
      idp.keyFiles.ecPkcs8,
    ]);

    // Browser sign-in: --no-launch-browser prints the URL; the driver plays the browser.
    const loginArgs = ["auth", "login", "--no-launch-browser"];
    const login = startCli(configDir, [...loginArgs, ...env]);
    const [url] = await login.waitFor(AUTHORIZATION_URL);
    const browser = new BrowserDriver();
    await browser.completeBrowserLogin(url, { user: USERS.alice });
    browser.close();
    show(loginArgs, await login.finish());

    await run(["auth", "ls"]);
    await run(["auth", "switch", "--account", CLIENTS.es256.clientId]);
    await run(["auth", "ls", "--json"]);
    await run(["auth", "logout", "--all"]);
    await run(["auth", "ls"]);
    console.log("\nDemo finished.");
  } finally {
    await idp.close();
    await Deno.remove(configDir, { recursive: true }).catch(() => {});
  }
}

if (import.meta.main) {
  try {
    await main();
    Deno.exit(0);
  } catch (error) {
    console.error(`demo failed: ${error instanceof Error ? error.message : error}`);
    Deno.exit(1);
  }
}
