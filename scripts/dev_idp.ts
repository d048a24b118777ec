/**
 * Runs the bundled test identity provider and platform stand-in for manual tries and the demo:
 * `deno task dev-idp [--port 8180] [--platform-port 8181] [--https] [--no-device]`.
 * Prints the users, clients and CLI options, then serves until Ctrl-C.
 *
 * @module
 */
import { parseArgs } from "node:util";
import {
  CLIENTS,
  type IdpOptions,
  ORGS,
  startIdp,
  type TestIdp,
  USERS,
} from "../tests/support/idp.ts";
import { createTestPki, type TestPki } from "../tests/support/ca.ts";

const DEFAULT_PORT = 8180;
const DEFAULT_PLATFORM_PORT = 8181;

/** Starts on the preferred ports, falling back to ephemeral ones when they are taken. */
async function startPreferred(options: IdpOptions): Promise<TestIdp> {
  try {
    return await startIdp(options);
  } catch (error) {
    if (!(error instanceof Error) || !/EADDRINUSE|AddrInUse|in use/i.test(String(error))) {
      throw error;
    }
    console.error("Preferred ports are taken; using ephemeral ports.");
    return await startIdp({ ...options, port: 0, platformPort: 0 });
  }
}

/** Renders the banner printed after start. */
function banner(idp: TestIdp, tls?: TestPki): string {
  const env = `--base-url ${idp.baseUrl} --platform-url ${idp.platformUrl}`;
  const orgs = (user: (typeof USERS)[keyof typeof USERS]) =>
    user.orgs.map((org) => `${org.name} (${org.org_id})`).join(", ");
  const lines = [
    "Axway test identity provider (Keycloak layout) and Amplify Platform stand-in",
    "",
    `  Issuer:        ${idp.issuer}`,
    `  Discovery:     ${idp.endpoints.discovery}`,
    `  Platform API:  ${idp.platformUrl}`,
    ...(idp.endpoints.deviceVerification
      ? [`  Device page:   ${idp.endpoints.deviceVerification}`]
      : []),
    ...(tls ? [`  TLS CA:        ${tls.caFile}  (trust it: AXWAY_CA_FILE=${tls.caFile})`] : []),
    "",
    "Users (password for all: password)",
    ...Object.values(USERS).map((user) =>
      `  ${user.email.padEnd(20)} ${user.name.padEnd(14)} orgs: ${orgs(user)}`
    ),
    "",
    "Orgs",
    ...Object.values(ORGS).map((org) => `  ${org.org_id}  ${org.name.padEnd(10)} ${org.guid}`),
    "",
    "Clients",
    `  ${
      CLIENTS.cli.clientId.padEnd(10)
    } public native client (PKCE, any loopback redirect, device flow)`,
    `  ${
      CLIENTS.basic.clientId.padEnd(10)
    } secret ${CLIENTS.basic.clientSecret} (client_secret_basic or _post)`,
    `  ${
      CLIENTS.post.clientId.padEnd(10)
    } secret ${CLIENTS.post.clientSecret} (client_secret_post or _basic)`,
    `  ${CLIENTS.rs256.clientId.padEnd(10)} private_key_jwt RS256, key ${idp.keyFiles.rsaPkcs8}`,
    `  ${"".padEnd(10)} also ${idp.keyFiles.rsaPkcs1} (PKCS#1)`,
    `  ${"".padEnd(10)} and ${idp.keyFiles.rsaEncrypted} (passphrase ${idp.keyPassphrase})`,
    `  ${CLIENTS.es256.clientId.padEnd(10)} private_key_jwt ES256, key ${idp.keyFiles.ecPkcs8}`,
    `  ${"".padEnd(10)} also ${idp.keyFiles.ecSec1} (SEC1)`,
    "",
    "Try the CLI (or `deno run -A main.ts` in place of `axway`):",
    `  axway auth login ${env}`,
    `  axway auth login ${env} --device`,
    `  printf %s ${CLIENTS.basic.clientSecret} | axway auth login ${env} --client-id ${CLIENTS.basic.clientId} --client-secret -`,
    `  axway auth login ${env} --client-id ${CLIENTS.rs256.clientId} --secret-file ${idp.keyFiles.rsaPkcs8}`,
    `  axway auth switch ${env} --org ${ORGS.beta.org_id}`,
    "",
    "Press Ctrl-C to stop.",
  ];
  return lines.join("\n");
}

/** Entry point. */
async function main(): Promise<void> {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      port: { type: "string" },
      "platform-port": { type: "string" },
      https: { type: "boolean", default: false },
      "no-device": { type: "boolean", default: false },
    },
  });
  const tls = values.https ? await createTestPki() : undefined;
  const idp = await startPreferred({
    port: Number(values.port ?? DEFAULT_PORT),
    platformPort: Number(values["platform-port"] ?? DEFAULT_PLATFORM_PORT),
    device: !values["no-device"],
    https: tls && { cert: tls.serverCert, key: tls.serverKey, ca: tls.caCert },
  });
  console.log(banner(idp, tls));

  const { promise: stopped, resolve: stop } = Promise.withResolvers<void>();
  const onSignal = () => stop();
  Deno.addSignalListener("SIGINT", onSignal);
  if (Deno.build.os !== "windows") Deno.addSignalListener("SIGTERM", onSignal);
  await stopped;
  Deno.removeSignalListener("SIGINT", onSignal);
  if (Deno.build.os !== "windows") Deno.removeSignalListener("SIGTERM", onSignal);
  console.log("\nStopping...");
  await idp.close();
  await tls?.remove();
}

if (import.meta.main) await main();
