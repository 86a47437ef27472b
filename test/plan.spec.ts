import { expect } from "chai";
import { CLUSTER_WORKSPACE_MISSING, ROLLBACK_PATH_MISSING } from "../rollout/alerts";
import { execFileSync, spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { main as planMain } from "../cli/plan";
import { edited, planStack, ROOT, STACKS } from "./helpers";

/** Runs the plan command in-process; returns exit code, stdout and stderr. */
async function runPlan(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
    let stdout = "";
    let stderr = "";
    const out = { write: (s: string) => (stdout += s) };
    const err = { write: (s: string) => (stderr += s) };
    const code = await planMain(args, out, err);
    return { code, stdout, stderr };
}

/** A project folder beside the real one, with its own stack file and the real program. */
function tempProject(stackFiles: Record<string, string>): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "slotshift-plan-"));
    fs.copyFileSync(path.join(ROOT, "Pulumi.yaml"), path.join(dir, "Pulumi.yaml"));
    fs.symlinkSync(path.join(ROOT, "index.ts"), path.join(dir, "index.ts"));
    for (const [name, text] of Object.entries(stackFiles)) {
        fs.writeFileSync(path.join(dir, name), text);
    }
    return dir;
}

/** Runs the plan command as a process in another project folder. */
function planIn(dir: string, args: string[]) {
    const register = path.join(ROOT, "node_modules/ts-node/register/transpile-only");
    return spawnSync(process.execPath, ["-r", register, path.join(ROOT, "cli/plan.ts"), ...args], {
        cwd: dir,
        encoding: "utf8",
        env: { ...process.env, TS_NODE_PROJECT: path.join(ROOT, "tsconfig.json") },
    });
}

describe("the offline plan", () => {
    for (const stack of STACKS) {
        it(`plans the real Pulumi.${stack}.yaml without error`, async () => {
            const result = await planStack(stack);
            expect(result.error).to.equal(null);
            expect(result.ok).to.equal(true);
            expect(result.environment).to.equal(stack);
            expect(result.resources.length).to.be.greaterThan(0);
            expect(result.outputs).to.have.property("release");
        });
    }

    it("registers the stack's resource group and namespace, named after app and stack", async () => {
        const result = await planStack("prod");
        const names = result.resources.map((r) => `${r.type} ${r.name}`);
        expect(names).to.include("azure-native:resources:ResourceGroup nextgen-market-prod-rg");
        expect(names).to.include("kubernetes:core/v1:Namespace nextgen-market-prod-ns");
        const ns = result.resources.find((r) => r.type === "kubernetes:core/v1:Namespace")!;
        expect((ns.inputs.metadata as { name: string }).name).to.equal("nextgen-market-prod");
    });

    it("exports the release: build metadata of live and candidate, and the tag set", async () => {
        const { outputs } = await planStack("prod");
        const release = outputs.release as { environment: string; live: Record<string, unknown>; candidate: Record<string, unknown> };
        expect(release.environment).to.equal("prod");
        expect(release.live).to.include({ version: "1.0.0", gitSha: "a1b2c3d", buildNumber: "123", branch: "main", slot: "blue" });
        expect(release.candidate).to.include({ version: "1.1.0", slot: "green" });
        expect((release.candidate.tags as { tag: string }[]).map((t) => t.tag)).to.deep.equal(["v1.1.0", "1.1", "1.1.0-e4f5a6b", "latest"]);
    });

    it("has no candidate release in dev, where the one slot is updated in place", async () => {
        const { outputs } = await planStack("dev");
        expect((outputs.release as { candidate: unknown }).candidate).to.equal(null);
    });

    it("refuses a bad config with the key and registers nothing", async () => {
        const result = await planStack("prod", { config: edited("prod", { "slotshift:app.replicas": -1 }) });
        expect(result.ok).to.equal(false);
        expect(result.error?.key).to.equal("slotshift:app.replicas");
        expect(result.error?.message).to.contain("slotshift:app.replicas is -1");
        expect(result.resources).to.deep.equal([]);
        expect(result.outputs).to.deep.equal({});
    });

    it("runs one plan after another in the same process with no state carried over", async () => {
        const now = new Date("2026-11-26T12:00:00Z");
        const refused = await planStack("prod", { config: edited("prod", { "slotshift:rollout.weight": 7 }), now });
        const accepted = await planStack("prod", { now });
        const again = await planStack("prod", { now });
        expect(refused.ok).to.equal(false);
        expect(accepted.ok).to.equal(true);
        expect(again.resources).to.deep.equal(accepted.resources);
        expect(again.outputs).to.deep.equal(accepted.outputs);
    });

    describe("the plan command", () => {
        it("prints a table of resources and the outputs, exit 0", async () => {
            const { code, stdout } = await runPlan(["--stack", "staging"]);
            expect(code).to.equal(0);
            expect(stdout).to.match(/^slotshift plan: stack staging \(environment staging\)/);
            expect(stdout).to.match(/TYPE\s+NAME\s+PARENT/);
            expect(stdout).to.contain("nextgen-market-staging-rg");
            expect(stdout).to.contain("Outputs:");
        });

        it("exits 2 for an unknown stack and lists the stacks there", async () => {
            const { code, stderr } = await runPlan(["--stack", "qa"]);
            expect(code).to.equal(2);
            expect(stderr).to.contain('unknown stack "qa"');
            expect(stderr).to.contain("stacks here: dev, prod, staging");
        });

        it("exits 2 without --stack", async () => {
            const { code, stderr } = await runPlan([]);
            expect(code).to.equal(2);
            expect(stderr).to.contain("--stack");
        });

        it("exits 2 for a --previous file that is not JSON", async () => {
            const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "slotshift-")), "prev.json");
            fs.writeFileSync(file, "not json");
            const { code, stderr } = await runPlan(["--stack", "prod", "--previous", file]);
            expect(code).to.equal(2);
            expect(stderr).to.contain("is not JSON");
        });
    });

    describe("npm run --silent plan, as a pipeline runs it", function () {
        this.timeout(120000);

        it("prints exactly one JSON document for prod and exits 0", () => {
            const stdout = execFileSync("npm", ["run", "--silent", "plan", "--", "--stack", "prod", "--json"], { cwd: ROOT, encoding: "utf8" });
            const doc = JSON.parse(stdout) as Record<string, unknown>;
            expect(Object.keys(doc)).to.deep.equal(["stack", "environment", "ok", "error", "warnings", "resources", "outputs"]);
            expect(doc).to.include({ stack: "prod", environment: "prod", ok: true, error: null });
            // Prod's stack file sets no relay (its token is a secret only a real stack can hold): the plan says so.
            expect(doc.warnings).to.deep.equal([ROLLBACK_PATH_MISSING]);
            for (const r of doc.resources as Record<string, unknown>[]) {
                expect(r).to.have.all.keys("type", "name", "parent", "custom", "inputs", "dependsOn", "provider");
            }
        });

        it("prints the program's warnings on stderr and in the JSON: a stack that does not name its cluster's workspace", () => {
            const prod = fs.readFileSync(path.join(ROOT, "Pulumi.prod.yaml"), "utf8").replace(/^    clusterWorkspace: .*$/m, "");
            const dir = tempProject({ "Pulumi.prod.yaml": prod, "Pulumi.staging.yaml": fs.readFileSync(path.join(ROOT, "Pulumi.staging.yaml"), "utf8") });
            const json = planIn(dir, ["--stack", "prod", "--json"]);
            expect(json.status, json.stdout.slice(0, 400)).to.equal(0);
            const doc = JSON.parse(json.stdout) as { warnings: string[]; resources: { name: string }[] };
            expect(doc.warnings).to.deep.equal([CLUSTER_WORKSPACE_MISSING, ROLLBACK_PATH_MISSING]);
            expect(doc.warnings[0]).to.match(/^slotshift:alerts\.clusterWorkspace is not set, so the CPU, memory and health rules are not created/);
            expect(doc.resources.map((r) => r.name)).not.to.include("nextgen-market-prod-alerts-health");
            const table = planIn(dir, ["--stack", "prod"]);
            expect(table.stderr).to.contain("warning: slotshift:alerts.clusterWorkspace is not set");
        });

        it("warns, FORCED, naming the rule force skipped, when a forced step is taken inside its hold; not when force skips nothing", async () => {
            const staged = await planStack("prod", { now: new Date("2026-11-26T10:00:00Z") });
            const at5 = await planStack("prod", { config: edited("prod", { "slotshift:rollout.weight": 5 }), previous: staged.outputs, now: new Date("2026-11-26T10:10:00Z") });
            const forced = { "slotshift:rollout.weight": 25, "slotshift:rollout.force": true };
            const early = await planStack("prod", { config: edited("prod", forced), previous: at5.outputs, now: new Date("2026-11-26T10:12:00Z") });
            expect(early.ok, early.error?.message).to.equal(true);
            const loud = early.warnings.filter((w) => w.startsWith("FORCED: "));
            expect(loud).to.have.length(1);
            expect(loud[0]).to.match(/past rule step-hold, which would refuse it: slotshift:rollout\.weight is 25 but green has carried 5 % for 2 minute\(s\)/);
            const late = await planStack("prod", { config: edited("prod", forced), previous: at5.outputs, now: new Date("2026-11-26T10:40:00Z") });
            expect(late.warnings.filter((w) => w.startsWith("FORCED: "))).to.deep.equal([]);
        });

        it("exits 1 naming the key when the stack file has slotshift:app.replicas: -1", () => {
            const prod = fs.readFileSync(path.join(ROOT, "Pulumi.prod.yaml"), "utf8").replace("replicas: 3", "replicas: -1");
            const dir = tempProject({ "Pulumi.prod.yaml": prod });
            const run = planIn(dir, ["--stack", "prod", "--json"]);
            expect(run.status).to.equal(1);
            const doc = JSON.parse(run.stdout) as { ok: boolean; error: { key: string; message: string }; resources: unknown[] };
            expect(doc.ok).to.equal(false);
            expect(doc.error.key).to.equal("slotshift:app.replicas");
            expect(doc.error.message).to.contain("slotshift:app.replicas is -1; allowed: an integer from 1 to 50");
            expect(doc.resources).to.deep.equal([]);
        });

        it("exits 2 naming line and column for a stack file that is not YAML", () => {
            const dir = tempProject({ "Pulumi.prod.yaml": "config:\n  slotshift:app: {name: [\n" });
            const run = planIn(dir, ["--stack", "prod"]);
            expect(run.status).to.equal(2);
            expect(run.stderr).to.match(/Pulumi\.prod\.yaml:\d+:\d+: YAML syntax error/);
        });
    });
});
