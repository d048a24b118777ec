import assert from "node:assert/strict";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parse } from "yaml";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));

interface Step {
  name?: string;
  uses?: string;
  run?: string;
  with?: Record<string, unknown>;
}
interface Job {
  "runs-on": string;
  needs?: string | string[];
  permissions?: Record<string, string>;
  steps: Step[];
}
interface Workflow {
  name: string;
  on: Record<string, unknown>;
  jobs: Record<string, Job>;
}

async function workflow(name: string): Promise<Workflow> {
  const text = await Deno.readTextFile(join(ROOT, ".github", "workflows", name));
  const doc = parse(text, { strict: true, uniqueKeys: true });
  assert.equal(typeof doc, "object");
  assert.equal(typeof doc.name, "string");
  assert.ok(doc.on && doc.jobs, `${name} has on and jobs`);
  for (const [id, job] of Object.entries(doc.jobs as Record<string, Job>)) {
    assert.equal(typeof job["runs-on"], "string", `${name}: ${id} runs-on`);
    assert.ok(Array.isArray(job.steps) && job.steps.length > 0, `${name}: ${id} steps`);
    for (const step of job.steps) {
      assert.ok((step.uses === undefined) !== (step.run === undefined), `${id}: uses xor run`);
      if (step.uses) assert.match(step.uses, /^[\w.-]+\/[\w.-]+@v\d+$/, "actions pinned");
    }
  }
  return doc;
}

const runs = (job: Job) => job.steps.map((step) => step.run ?? "").join("\n");
const setupDeno = (job: Job) =>
  job.steps.find((step) => step.uses?.startsWith("denoland/setup-deno@"));

Deno.test("ci.yml: on push and pull request, Deno 2.9.6, frozen install, chromium, deno task test", async () => {
  const ci = await workflow("ci.yml");
  assert.ok("push" in ci.on && "pull_request" in ci.on);
  const test = ci.jobs.test;
  assert.equal(setupDeno(test)?.with?.["deno-version"], "2.9.6");
  const script = runs(test);
  assert.match(script, /apt-get install[^\n]*(\\\n[^\n]*)*\bchromium\b/);
  assert.match(script, /^deno install --frozen$/m);
  assert.match(script, /^deno task test$/m);
  const order = ["chromium", "deno install --frozen", "deno task test"].map((s) =>
    script.indexOf(s)
  );
  assert.deepEqual(order, [...order].sort((a, b) => a - b), "installs come before the tests");
  const config = JSON.parse(await Deno.readTextFile(join(ROOT, "deno.json")));
  assert.ok(config.tasks.test, "deno.json has the test task");
});

Deno.test("release.yml: on v* tags, builds, signs macOS, checksums, packaging, release", async () => {
  const release = await workflow("release.yml");
  assert.deepEqual((release.on.push as { tags: string[] }).tags, ["v*"]);
  const { build, "sign-macos": sign, publish } = release.jobs;

  assert.match(build["runs-on"], /^ubuntu/);
  assert.equal(setupDeno(build)?.with?.["deno-version"], "2.9.6");
  assert.match(runs(build), /^deno task build$/m);

  assert.match(sign["runs-on"], /^macos/);
  assert.equal(sign.needs, "build");
  assert.match(runs(sign), /codesign --force --sign - "\$binary"/);
  assert.match(runs(sign), /for binary in dist\/axway-\*-macos-\*/);

  const needs = [publish.needs ?? []].flat();
  assert.ok(needs.includes("sign-macos") && needs.includes("build"));
  assert.equal(publish.permissions?.contents, "write");
  const script = runs(publish);
  const checksums = script.indexOf("scripts/checksums.ts");
  const packaging = script.indexOf("deno task package");
  const upload = script.indexOf("gh release");
  assert.ok(checksums >= 0 && checksums < packaging && packaging < upload, "sums, package, upload");
  assert.match(
    script,
    /deno task package --repo "\$\{\{ github\.repository \}\}" --version "\$\{GITHUB_REF_NAME#v\}"/,
  );
  assert.match(script, /dist\/packaging\/axway\.rb/);
  assert.match(script, /dist\/packaging\/winget/);
  assert.match(script, /dist\/SHA256SUMS/);

  const config = JSON.parse(await Deno.readTextFile(join(ROOT, "deno.json")));
  assert.match(config.tasks.build, /scripts\/build\.ts$/);
  assert.match(config.tasks.package, /scripts\/packaging\.ts$/);
  await Deno.stat(join(ROOT, "scripts", "checksums.ts"));
});
