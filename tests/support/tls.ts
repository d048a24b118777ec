/**
 * A throw-away TLS certificate for serving the test identity provider over HTTPS
 * (`startIdp({ https: { cert, key } })`). Made with the `openssl` command.
 *
 * @module
 */
import { join } from "node:path";

/** A self-signed server certificate for 127.0.0.1 and localhost, valid one day. */
export interface TestCertificate {
  /** Certificate, PEM. Trust it with `Deno.createHttpClient({ caCerts: [cert] })`. */
  readonly cert: string;
  /** Private key (P-256), PEM. */
  readonly key: string;
  /** Path of the certificate file, e.g. for `DENO_CERT` in a CLI subprocess. */
  readonly certFile: string;
  /** Path of the key file. */
  readonly keyFile: string;
  /** Deletes the files. */
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

/**
 * Creates a self-signed leaf certificate (CA:FALSE, serverAuth, SAN IP:127.0.0.1 and
 * DNS:localhost). rustls, hence Deno's fetch, refuses a CA certificate used as the server's
 * own certificate, which is what a bare `openssl req -x509` makes.
 */
export async function createTestCertificate(): Promise<TestCertificate> {
  const dir = await Deno.makeTempDir({ prefix: "axway-test-tls-" });
  const certFile = join(dir, "cert.pem");
  const keyFile = join(dir, "key.pem");
  const remove = () => Deno.remove(dir, { recursive: true }).catch(() => {});
  try {
    const { success, stderr } = await new Deno.Command("openssl", {
      args: [
        ...["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"],
        ...["-keyout", keyFile, "-out", certFile, "-days", "1", "-subj", "/CN=127.0.0.1"],
        ...["-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost"],
        ...["-addext", "basicConstraints=critical,CA:FALSE"],
        ...["-addext", "extendedKeyUsage=serverAuth"],
      ],
      stdout: "null",
      stderr: "piped",
    }).output();
    if (!success) throw new Error(`openssl failed: ${new TextDecoder().decode(stderr)}`);
    return {
      cert: await Deno.readTextFile(certFile),
      key: await Deno.readTextFile(keyFile),
      certFile,
      keyFile,
      remove,
    };
  } catch (error) {
    await remove();
    throw error;
  }
}
