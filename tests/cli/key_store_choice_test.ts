import assert from "node:assert/strict";
import { runCli } from "../support/cli.ts";
import { CLIENTS, startIdp } from "../support/idp.ts";

Deno.test({
  name: "default key store: without a keychain the key file is used, said once on stderr",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const idp = await startIdp({ platform: false });
    const dir = await Deno.makeTempDir();
    try {
      // No D-Bus session variables reach the CLI: no keychain answers.
      const env = { AXWAY_KEY_STORE: "auto" };
      const base = ["--base-url", idp.baseUrl];
      const login = await runCli(dir, [
        "auth",
        "login",
        "--client-id",
        CLIENTS.basic.clientId,
        "--client-secret",
        "-",
        ...base,
      ], { env, stdin: CLIENTS.basic.clientSecret });
      assert.equal(login.code, 0, login.stderr);
      assert.match(login.stderr, /^note: no keychain available: .*key file .*store\.key/);
      assert.equal(login.stderr.trim().split("\n").length, 1);
      await Deno.stat(`${dir}/store.key`);

      const list = await runCli(dir, ["auth", "ls", ...base], { env });
      assert.equal(list.code, 0);
      assert.equal(list.stderr, "", "the store's header names its source: no probing, no notice");
      assert.match(list.stdout, /svc-basic/);
    } finally {
      await idp.close();
      await Deno.remove(dir, { recursive: true });
    }
  },
});
