/**
 * A throw-away private certificate authority for the proxy and CA tests, made with the `openssl`
 * command: a test CA, a server certificate it signed for 127.0.0.1, ::1 and localhost (serve the
 * bundled provider with it: `startIdp({ https: { cert: pki.serverCert, key: pki.serverKey } })`),
 * and a second, unrelated CA that trusts nothing of ours.
 *
 * ```ts
 * if (!(await opensslAvailable())) return; // skip with a message
 * const pki = await createTestPki();
 * try {
 *   // AXWAY_CA_FILE=pki.caFile ...
 * } finally {
 *   await pki.remove();
 * }
 * ```
 *
 * @module
 */
import { join } from "node:path";

/** Files and PEM text of the test PKI. */
export interface TestPki {
  /** The directory holding every file. */
  readonly dir: string;
  /** The test CA's certificate, PEM file (what `AXWAY_CA_FILE` names). */
  readonly caFile: string;
  /** The test CA's certificate, PEM. */
  readonly caCert: string;
  /** Server certificate signed by the test CA (CA:FALSE, serverAuth, SAN 127.0.0.1/::1/localhost). */
  readonly serverCert: string;
  /** Its P-256 private key, PEM. */
  readonly serverKey: string;
  /** Certificate of another CA, which signed nothing we serve (PEM file). */
  readonly otherCaFile: string;
  /** Deletes the directory. */
  remove(): Promise<void>;
}

/** Whether the `openssl` command is available. */
export async function opensslAvailable(): Promise<boolean> {
  try {
    const { success } = await new Deno.Command("openssl", {
      args: ["version"],
      stdout: "null",
      stderr: "null",
    }).output();
    return success;
  } catch {
    return false;
  }
}

async function openssl(args: string[]): Promise<void> {
  const { success, stderr } = await new Deno.Command("openssl", {
    args,
    stdout: "null",
    stderr: "piped",
  }).output();
  if (!success) {
    throw new Error(`openssl ${args[0]} failed: ${new TextDecoder().decode(stderr)}`);
  }
}

const EC = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"];

async function createCa(dir: string, name: string, subject: string): Promise<void> {
  await openssl([
    ...["req", "-x509", ...EC, "-days", "1", "-subj", subject],
    ...["-keyout", join(dir, `${name}.key`), "-out", join(dir, `${name}.pem`)],
    ...["-addext", "basicConstraints=critical,CA:TRUE"],
    ...["-addext", "keyUsage=critical,keyCertSign,cRLSign"],
  ]);
}

/** Creates the test CA, its server certificate and the unrelated CA (about 50 ms). */
export async function createTestPki(): Promise<TestPki> {
  const dir = await Deno.makeTempDir({ prefix: "axway-test-pki-" });
  const remove = () => Deno.remove(dir, { recursive: true }).catch(() => {});
  try {
    await Promise.all([
      createCa(dir, "ca", "/CN=axway test CA"),
      createCa(dir, "other-ca", "/CN=unrelated test CA"),
      openssl([
        ...["req", "-new", ...EC, "-subj", "/CN=127.0.0.1"],
        ...["-keyout", join(dir, "server.key"), "-out", join(dir, "server.csr")],
      ]),
    ]);
    const extensions = join(dir, "server.ext");
    await Deno.writeTextFile(
      extensions,
      [
        "subjectAltName=IP:127.0.0.1,IP:::1,DNS:localhost",
        "basicConstraints=critical,CA:FALSE",
        "keyUsage=critical,digitalSignature",
        "extendedKeyUsage=serverAuth",
      ].join("\n") + "\n",
    );
    const serial = `0x${crypto.randomUUID().replaceAll("-", "").slice(0, 16)}`;
    await openssl([
      ...["x509", "-req", "-in", join(dir, "server.csr"), "-days", "1", "-set_serial", serial],
      ...["-CA", join(dir, "ca.pem"), "-CAkey", join(dir, "ca.key")],
      ...["-extfile", extensions, "-out", join(dir, "server.pem")],
    ]);
    const [caCert, serverCert, serverKey] = await Promise.all(
      ["ca.pem", "server.pem", "server.key"].map((name) => Deno.readTextFile(join(dir, name))),
    );
    return {
      dir,
      caFile: join(dir, "ca.pem"),
      caCert,
      serverCert,
      serverKey,
      otherCaFile: join(dir, "other-ca.pem"),
      remove,
    };
  } catch (error) {
    await remove();
    throw error;
  }
}
