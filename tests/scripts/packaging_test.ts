import assert from "node:assert/strict";
import { join } from "node:path";
import { parse } from "yaml";
import { artifactName, BuildError, TARGETS } from "../../scripts/build_plan.ts";
import {
  CHECKSUMS_FILE,
  formatChecksums,
  parseChecksums,
  sha256File,
  writeChecksums,
} from "../../scripts/checksums.ts";
import { checkRepo, checkVersion, generatePackaging, releaseUrl } from "../../scripts/packaging.ts";

const REPO = "acme-corp/axway-cli";
const VERSION = "1.2.3";

/** A dist directory with small fake artifacts (distinct contents) and their SHA256SUMS. */
async function sampleDist(): Promise<string> {
  const dist = await Deno.makeTempDir({ prefix: "axway-pkg-" });
  for (const target of TARGETS) {
    await Deno.writeTextFile(
      join(dist, artifactName(VERSION, target)),
      `binary ${target.triple}\n`,
    );
  }
  await Deno.writeTextFile(join(dist, "axway-0.9.0-linux-x86_64"), "an older build\n");
  await Deno.writeTextFile(join(dist, "notes.txt"), "not an artifact\n");
  await writeChecksums(dist, VERSION);
  return dist;
}

async function hashOf(dist: string, artifact: string): Promise<string> {
  return await sha256File(join(dist, artifact));
}

Deno.test("SHA256SUMS: sha256sum format, only this version's artifacts", async () => {
  const dist = await sampleDist();
  try {
    const text = await Deno.readTextFile(join(dist, CHECKSUMS_FILE));
    const sums = parseChecksums(text);
    assert.deepEqual(
      [...sums.keys()],
      TARGETS.map((target) => artifactName(VERSION, target)).sort(),
    );
    for (const [name, hash] of sums) assert.equal(hash, await hashOf(dist, name));
    assert.match(text, /^[0-9a-f]{64} {2}axway-1\.2\.3-linux-aarch64\n/);
    assert.equal(formatChecksums(sums), text);
    assert.throws(() => parseChecksums("nothex  file\n"), /malformed/);
    const sha256sum = await new Deno.Command("sha256sum", {
      args: ["--check", "--strict", CHECKSUMS_FILE],
      cwd: dist,
      stdout: "null",
      stderr: "null",
    }).output().catch(() => undefined);
    if (sha256sum) assert.equal(sha256sum.code, 0, "sha256sum -c accepts SHA256SUMS");
  } finally {
    await Deno.remove(dist, { recursive: true });
  }
});

Deno.test("packaging inputs: repository and version are checked, never assumed", () => {
  assert.equal(checkRepo("acme/axway"), "acme/axway");
  assert.equal(checkVersion("v1.2.3"), "1.2.3");
  assert.equal(checkVersion("1.2.3-rc.1"), "1.2.3-rc.1");
  for (const bad of ["acme", "acme/axway/x", "../x", "https://github.com/a/b", ""]) {
    assert.throws(() => checkRepo(bad), BuildError, bad);
  }
  for (const bad of ["1.2", "latest", "1.2.3; rm -rf /", ""]) {
    assert.throws(() => checkVersion(bad), BuildError, bad);
  }
  assert.equal(
    releaseUrl(REPO, VERSION, "axway-1.2.3-linux-x86_64"),
    "https://github.com/acme-corp/axway-cli/releases/download/v1.2.3/axway-1.2.3-linux-x86_64",
  );
});

/** The `url`/`sha256` pair of each on_<os> × on_<cpu> block of a formula. */
function formulaBlocks(formula: string): Map<string, { url: string; sha256: string }> {
  const blocks = new Map<string, { url: string; sha256: string }>();
  for (const os of formula.matchAll(/^ {2}on_(macos|linux) do\n([\s\S]*?)^ {2}end$/gm)) {
    for (const cpu of os[2].matchAll(/^ {4}on_(arm|intel) do\n([\s\S]*?)^ {4}end$/gm)) {
      const url = /^ {6}url "([^"]+)"$/m.exec(cpu[2])?.[1];
      const sha256 = /^ {6}sha256 "([0-9a-f]{64})"$/m.exec(cpu[2])?.[1];
      assert.ok(url && sha256, `${os[1]}/${cpu[1]} has url and sha256`);
      blocks.set(`${os[1]}/${cpu[1]}`, { url, sha256 });
    }
  }
  return blocks;
}

/** Runs Ruby, when it is installed, on the formula with a stand-in for Homebrew's DSL. */
async function evaluateFormula(path: string): Promise<Map<string, string> | undefined> {
  const stub = `
$os = ARGV[1]; $cpu = ARGV[2]
class Formula
  def self.desc(v); end
  def self.homepage(v); end
  def self.version(v = nil); end
  def self.url(v); puts "url #{v}"; end
  def self.sha256(v); puts "sha256 #{v}"; end
  def self.on_macos; yield if $os == "macos"; end
  def self.on_linux; yield if $os == "linux"; end
  def self.on_arm; yield if $cpu == "arm"; end
  def self.on_intel; yield if $cpu == "intel"; end
  def self.test(&block); puts "test block" if block; end
end
load ARGV[0]
puts "methods #{Axway.instance_methods(false).sort.join(",")}"
`;
  const found = new Map<string, string>();
  for (const os of ["macos", "linux"]) {
    for (const cpu of ["arm", "intel"]) {
      let output;
      try {
        output = await new Deno.Command("ruby", {
          args: ["-e", stub, path, os, cpu],
          stdout: "piped",
          stderr: "piped",
        }).output();
      } catch (error) {
        if (error instanceof Deno.errors.NotFound) return undefined;
        throw error;
      }
      assert.equal(output.code, 0, new TextDecoder().decode(output.stderr));
      found.set(`${os}/${cpu}`, new TextDecoder().decode(output.stdout));
    }
  }
  return found;
}

Deno.test("Homebrew formula: four platforms, release URLs, matching sha256, test block", async () => {
  const dist = await sampleDist();
  try {
    const written = await generatePackaging({ dist, repo: REPO, version: `v${VERSION}` });
    const path = join(dist, "packaging", "axway.rb");
    assert.ok(written.includes(path));
    const formula = await Deno.readTextFile(path);
    assert.match(formula, /^class Axway < Formula$/m);
    assert.match(formula, /^ {2}homepage "https:\/\/github\.com\/acme-corp\/axway-cli"$/m);
    assert.match(formula, /^ {2}version "1\.2\.3"$/m);
    assert.match(formula, /^ {4}bin\.install binary => "axway"$/m);
    assert.match(
      formula,
      /^ {2}test do\n {4}assert_match version\.to_s, shell_output\("#\{bin\}\/axway --version"\)\n {2}end$/m,
    );
    const code = formula.split("\n").filter((line) => !line.trimStart().startsWith("#"));
    const opened = code.filter((line) => /^\s*(class|def) |\sdo$/.test(line)).length;
    const closed = code.filter((line) => /^\s*end$/.test(line)).length;
    assert.equal(opened, closed, "every do/def/class has its end");

    const expected = {
      "macos/arm": "aarch64-apple-darwin",
      "macos/intel": "x86_64-apple-darwin",
      "linux/arm": "aarch64-unknown-linux-gnu",
      "linux/intel": "x86_64-unknown-linux-gnu",
    };
    const blocks = formulaBlocks(formula);
    assert.deepEqual([...blocks.keys()].sort(), Object.keys(expected).sort());
    for (const [block, triple] of Object.entries(expected)) {
      const artifact = artifactName(VERSION, TARGETS.find((t) => t.triple === triple)!);
      assert.deepEqual(blocks.get(block), {
        url: releaseUrl(REPO, VERSION, artifact),
        sha256: await hashOf(dist, artifact),
      });
    }

    const evaluated = await evaluateFormula(path);
    if (evaluated) {
      for (const [block, out] of evaluated) {
        assert.ok(out.includes(`url ${blocks.get(block)!.url}\n`), out);
        assert.ok(out.includes(`sha256 ${blocks.get(block)!.sha256}\n`), out);
        assert.ok(out.includes("test block\n") && out.includes("methods install\n"), out);
      }
    }
  } finally {
    await Deno.remove(dist, { recursive: true });
  }
});

const SCHEMA = (type: string) =>
  `# yaml-language-server: $schema=https://aka.ms/winget-manifest.${type}.1.6.0.schema.json`;

Deno.test("winget manifests: version, installer, default locale; YAML with schema", async () => {
  const dist = await sampleDist();
  try {
    await generatePackaging({ dist, repo: REPO, version: VERSION });
    const dir = join(dist, "packaging", "winget", "acme-corp.axway", VERSION);
    const files = [];
    for await (const entry of Deno.readDir(dir)) files.push(entry.name);
    assert.deepEqual(files.sort(), [
      "acme-corp.axway.installer.yaml",
      "acme-corp.axway.locale.en-US.yaml",
      "acme-corp.axway.yaml",
    ]);
    const read = async (name: string, type: string) => {
      const text = await Deno.readTextFile(join(dir, name));
      assert.ok(text.split("\n").includes(SCHEMA(type)), `${name} states its schema`);
      const doc = parse(text);
      assert.equal(doc.PackageIdentifier, "acme-corp.axway");
      assert.equal(doc.PackageVersion, VERSION);
      assert.equal(doc.ManifestType, type);
      assert.equal(doc.ManifestVersion, "1.6.0");
      return doc;
    };

    const version = await read("acme-corp.axway.yaml", "version");
    assert.equal(version.DefaultLocale, "en-US");

    const installer = await read("acme-corp.axway.installer.yaml", "installer");
    assert.equal(installer.InstallerType, "portable");
    assert.deepEqual(installer.Commands, ["axway"]);
    assert.equal(installer.Installers.length, 1);
    const [x64] = installer.Installers;
    const exe = "axway-1.2.3-windows-x86_64.exe";
    assert.equal(x64.Architecture, "x64");
    assert.equal(x64.InstallerUrl, releaseUrl(REPO, VERSION, exe));
    assert.match(x64.InstallerSha256, /^[0-9A-F]{64}$/);
    assert.equal(x64.InstallerSha256, (await hashOf(dist, exe)).toUpperCase());

    const locale = await read("acme-corp.axway.locale.en-US.yaml", "defaultLocale");
    for (
      const key of ["PackageLocale", "Publisher", "PackageName", "License", "ShortDescription"]
    ) {
      assert.equal(typeof locale[key], "string", key);
      assert.ok(locale[key].length > 0, key);
    }
    assert.equal(locale.PackageLocale, "en-US");
    assert.equal(locale.PackageName, "axway");
    assert.equal(locale.Publisher, "acme-corp");
    assert.equal(locale.PackageUrl, "https://github.com/acme-corp/axway-cli");
  } finally {
    await Deno.remove(dist, { recursive: true });
  }
});

Deno.test("packaging refuses artifacts that do not match SHA256SUMS or are missing", async () => {
  const dist = await sampleDist();
  try {
    await Deno.writeTextFile(join(dist, "axway-1.2.3-macos-aarch64"), "tampered\n");
    await assert.rejects(
      generatePackaging({ dist, repo: REPO, version: VERSION }),
      /axway-1\.2\.3-macos-aarch64 does not match its SHA256SUMS entry/,
    );
    await writeChecksums(dist, VERSION);
    await Deno.remove(join(dist, "axway-1.2.3-windows-x86_64.exe"));
    await assert.rejects(
      generatePackaging({ dist, repo: REPO, version: VERSION }),
      /axway-1\.2\.3-windows-x86_64\.exe, which is not in/,
    );
    await writeChecksums(dist, VERSION);
    await assert.rejects(
      generatePackaging({ dist, repo: REPO, version: VERSION }),
      /SHA256SUMS lists no axway-1\.2\.3-windows-x86_64\.exe: build every target first/,
    );
    await assert.rejects(
      generatePackaging({ dist, repo: REPO, version: "2.0.0" }),
      /lists no artifact of version 2\.0\.0/,
    );
  } finally {
    await Deno.remove(dist, { recursive: true });
  }
});
