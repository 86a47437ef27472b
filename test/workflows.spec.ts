import { expect } from "chai";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { parse } from "yaml";
import { bumpPackage, main as release, releaseChangelog } from "../scripts/release";
import { ROOT } from "./helpers";

const WORKFLOWS = path.join(ROOT, ".github/workflows");
const files = fs.readdirSync(WORKFLOWS).filter((f) => f.endsWith(".yml")).sort();

interface Job {
    uses?: string;
    with?: Record<string, unknown>;
    needs?: string | string[];
    environment?: string;
    steps?: { uses?: string; run?: string; with?: Record<string, unknown> }[];
    if?: string;
}
interface Workflow {
    on: Record<string, unknown>;
    jobs: Record<string, Job>;
}
const load = (f: string) => parse(fs.readFileSync(path.join(WORKFLOWS, f), "utf8")) as Workflow;
const needs = (j: Job) => (j.needs === undefined ? [] : Array.isArray(j.needs) ? j.needs : [j.needs]);

/** Every `uses:` of the workflows and the local action. */
function allUses(): string[] {
    const texts = [...files.map((f) => fs.readFileSync(path.join(WORKFLOWS, f), "utf8")), fs.readFileSync(path.join(ROOT, ".github/actions/setup/action.yml"), "utf8")];
    return texts.flatMap((t) => [...t.matchAll(/uses:\s*([^\s#]+)/g)].map((m) => m[1]));
}

describe("the pipelines", function () {
    this.timeout(120000);

    it("has the preview, deploy, rollback and step workflows", () => {
        expect(files).to.deep.equal(["deploy.yml", "preview.yml", "rollback.yml", "step.yml"]);
    });

    describe("validate against the GitHub Actions schema (action-validator)", () => {
        const validator = path.join(ROOT, "node_modules/.bin/action-validator");
        for (const f of [...files.map((x) => path.join(".github/workflows", x)), ".github/actions/setup/action.yml"]) {
            it(f, () => {
                const r = spawnSync(validator, [path.join(ROOT, f)], { encoding: "utf8" });
                expect(r.status, r.stdout + r.stderr).to.equal(0);
            });
        }

        it("and the validator does refuse a broken workflow", () => {
            const bad = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "slotshift-wf-")), "bad.yml");
            fs.writeFileSync(bad, "name: x\non: push\njobs:\n  a:\n    runs-onn: ubuntu-latest\n    steps:\n      - run: echo\n");
            const r = spawnSync(validator, [bad], { encoding: "utf8" });
            expect(r.status).to.equal(1);
        });
    });

    describe("the gates", () => {
        const deploy = load("deploy.yml");
        const step = load("step.yml");

        it("runs every step of a stack in the GitHub environment of that stack, whose reviewers approve it", () => {
            expect(step.jobs.step.environment).to.equal("${{ inputs.environment }}");
            for (const [name, job] of Object.entries(deploy.jobs)) {
                if (job.uses === "./.github/workflows/step.yml") {
                    expect(job.with?.environment, name).to.equal(job.with?.stack);
                }
            }
            const prodJobs = Object.entries(deploy.jobs).filter(([, j]) => j.with?.stack === "prod");
            expect(prodJobs.map(([n]) => n)).to.deep.equal(["prod-stage", "prod-canary-5", "prod-canary-25", "prod-canary-50", "prod-canary-100", "prod-finalize"]);
        });

        it("runs the canary steps in order, each a job of its own, after staging and the prod tags", () => {
            const chain = ["staging-stage", "staging-switch", "staging-finalize", "prod-tags", "prod-stage", "prod-canary-5", "prod-canary-25", "prod-canary-50", "prod-canary-100", "prod-finalize"];
            for (let i = 1; i < chain.length; i++) {
                expect(needs(deploy.jobs[chain[i]]), chain[i]).to.include(chain[i - 1]);
            }
            expect(["prod-stage", "prod-canary-5", "prod-canary-25", "prod-canary-50", "prod-canary-100", "prod-finalize"].map((j) => deploy.jobs[j].with?.command)).to.deep.equal([
                "start",
                "next",
                "next",
                "next",
                "next",
                "finalize",
            ]);
            for (const j of ["prod-canary-5", "prod-canary-25", "prod-canary-50", "prod-canary-100"]) {
                expect(deploy.jobs[j].with?.["wait-hold"], `${j} waits minStepMinutes`).to.equal(true);
            }
        });

        it("deploys develop to dev, main to staging and v*.*.* tags to prod", () => {
            expect(deploy.on.push).to.deep.equal({ branches: ["develop", "main"], tags: ["v*.*.*"] });
            expect(deploy.jobs.dev.if).to.contain("develop");
            expect(deploy.jobs["prod-stage"].if).to.contain("github.ref_type == 'tag'");
            expect(deploy.jobs["prod-tags"].if).to.contain("github.ref_type == 'tag'");
            expect(deploy.jobs.image.if).to.contain("branch");
        });

        it("tests before anything deploys or previews", () => {
            expect(needs(deploy.jobs.image)).to.include("test");
            expect(needs(deploy.jobs["staging-stage"])).to.include("test");
            const preview = load("preview.yml");
            expect(needs(preview.jobs.preview)).to.include("test");
            expect(needs(preview.jobs.plan)).to.include("test");
        });

        it("previews every stack on every pull request, one run per stack at a time, the diff on the pull request", () => {
            const preview = load("preview.yml") as Workflow & { jobs: Record<string, Job & { strategy: { matrix: { stack: string[] } }; concurrency: { group: string } }> };
            expect(Object.keys(preview.on)).to.deep.equal(["pull_request"]);
            expect(preview.jobs.preview.strategy.matrix.stack).to.deep.equal(["dev", "staging", "prod"]);
            expect(preview.jobs.preview.concurrency.group).to.contain("matrix.stack");
            const pulumiStep = preview.jobs.preview.steps!.find((s) => s.with?.command === "preview")!;
            expect(pulumiStep.with).to.include({ "comment-on-pr": true });
            expect(preview.jobs.preview.steps!.some((s) => s.run?.includes("slotshift status") && s.run.includes("--json"))).to.equal(true);
        });

        it("reaches a rollback by hand and from the alert webhook", () => {
            const rollback = load("rollback.yml") as Workflow & { on: { workflow_dispatch: { inputs: { environment: { options: string[] } } }; repository_dispatch: { types: string[] } } };
            expect(rollback.on.workflow_dispatch.inputs.environment.options).to.deep.equal(["dev", "staging", "prod"]);
            expect(rollback.on.repository_dispatch.types).to.deep.equal(["slotshift-rollback"]);
            expect(rollback.jobs.rollback.with?.command).to.equal("rollback");
            expect(rollback.jobs.rollback.with?.smoke).to.equal("public");
        });
    });

    describe("rollback.yml decides from the event, not from an empty slot", () => {
        type Step = { name?: string; id?: string; if?: string; run?: string; uses?: string };
        const rollback = load("rollback.yml") as Workflow & {
            on: { workflow_dispatch: { inputs: { environment: { options: string[] } } } };
            jobs: { decide: Omit<Job, "steps"> & { env: Record<string, string>; outputs: Record<string, string>; steps: Step[] } };
        };
        const decide = rollback.jobs.decide;
        const runs = decide.steps.filter((s) => s.run !== undefined);
        const alertStep = decide.steps.find((s) => s.id === "alert")!;
        const manualStep = decide.steps.find((s) => s.id === "manual")!;

        it("calls slotshift should-rollback for repository_dispatch only, and never for a manual run", () => {
            const calling = runs.filter((s) => s.run!.includes("should-rollback"));
            expect(calling.map((s) => s.id)).to.deep.equal(["alert"]);
            expect(alertStep.if).to.equal("github.event_name == 'repository_dispatch'");
            expect(alertStep.run).to.match(/npx slotshift should-rollback --stack="\$EVENT_STACK" --slot="\$EVENT_SLOT" --signal="\$EVENT_SIGNAL" --fired-at="\$EVENT_FIRED_AT" --previous=\S+/);
            expect(manualStep.if).to.equal("github.event_name == 'workflow_dispatch'");
            expect(manualStep.run).not.to.match(/EVENT_|should-rollback/);
            expect(manualStep.run).to.contain('echo "go=true" >> "$GITHUB_OUTPUT"');
            // Every step that reads the event's data is gated on the event's name.
            for (const s of runs.filter((x) => /EVENT_|INPUT_/.test(x.run!))) {
                expect(s.if, s.name).to.match(/^github\.event_name == '(repository_dispatch|workflow_dispatch)'$/);
            }
            expect(decide.outputs).to.deep.equal({
                stack: "${{ steps.manual.outputs.stack || steps.alert.outputs.stack }}",
                go: "${{ steps.manual.outputs.go || steps.alert.outputs.go }}",
            });
            expect(rollback.jobs.rollback.if).to.equal("needs.decide.outputs.go == 'true' && needs.decide.outputs.stack != 'dev'");
            expect(rollback.jobs["redeploy-dev"].if).to.equal("needs.decide.outputs.go == 'true' && needs.decide.outputs.stack == 'dev'");
        });

        it("never decides from an empty slot: no shell test of the slot, no jq", () => {
            const text = runs.map((s) => s.run).join("\n");
            expect(text).not.to.match(/-[zn] "?\$\{?EVENT_SLOT/);
            expect(text).not.to.match(/\bjq\b/);
            expect([...text.matchAll(/\$\{?EVENT_SLOT\}?/g)]).to.have.length(1);
        });

        it("takes the event's data through env only: no ${{ }} in any script", () => {
            expect(decide.env).to.include({
                INPUT_STACK: "${{ github.event.inputs.environment }}",
                EVENT_STACK: "${{ github.event.client_payload.stack }}",
                EVENT_SLOT: "${{ github.event.client_payload.slot }}",
                EVENT_SIGNAL: "${{ github.event.client_payload.signal }}",
                EVENT_FIRED_AT: "${{ github.event.client_payload.firedAt }}",
            });
            for (const job of Object.values(rollback.jobs)) {
                for (const step of (job.steps ?? []) as Step[]) {
                    expect(step.run ?? "", step.name ?? step.run).not.to.contain("${{");
                }
            }
        });

        it("hands pulumi only this project's stacks, matched exactly, the same as the manual choice", () => {
            const pattern = /case "\$EVENT_STACK" in ([a-z|]+)\) pulumi stack output --json --stack "\$EVENT_STACK" > (\S+) ;; esac/.exec(alertStep.run!);
            expect(pattern, alertStep.run).not.to.equal(null);
            const stacks = pattern![1].split("|");
            const files = fs.readdirSync(ROOT).map((f) => /^Pulumi\.(.+)\.yaml$/.exec(f)?.[1]).filter((x): x is string => x !== undefined);
            expect([...stacks].sort()).to.deep.equal([...files].sort());
            expect(stacks).to.deep.equal(rollback.on.workflow_dispatch.inputs.environment.options);
            expect(alertStep.run).to.contain(`--previous=${pattern![2]}`);
            expect(manualStep.run).to.contain(`case "$INPUT_STACK" in ${stacks.join("|")})`);
        });

        describe("the alert step, run as GitHub runs it (bash -eo pipefail, the event in env)", () => {
            const work = fs.mkdtempSync(path.join(os.tmpdir(), "slotshift-decide-"));
            const shims = path.join(work, "bin");
            fs.mkdirSync(shims);
            // npx slotshift is the project's bin; pulumi prints the outputs of a stack with green at 25 % since 12:00.
            fs.writeFileSync(path.join(shims, "npx"), `#!/bin/sh\n[ "$1" = slotshift ] && shift\nexec ${JSON.stringify(process.execPath)} ${JSON.stringify(path.join(ROOT, "bin/slotshift.js"))} "$@"\n`, { mode: 0o755 });
            fs.writeFileSync(path.join(shims, "pulumi"), `#!/bin/sh\nprintf '%s\\n' "$*" >> "$PULUMI_CALLS"\ncat "$FAKE_OUTPUTS"\n`, { mode: 0o755 });
            const outputs = path.join(work, "outputs.json");
            const rollout = {
                strategy: "canary", live: "blue", candidate: "green", weights: { blue: 75, green: 25 }, versions: { blue: "1.0.0", green: "1.1.0" },
                digests: { blue: null, green: null }, replicas: { blue: 3, green: 3 }, phase: "shifting", step: 2, nextStep: 50, steps: [5, 25, 50, 100],
                stepTakenAt: new Date(Date.now() - 10 * 60000).toISOString(), transition: "step",
            };
            fs.writeFileSync(outputs, JSON.stringify({ rollout }));

            /** Runs the step's script in a copy of the project with the payload given; returns what the workflow sees. */
            function runAlertStep(payload: { stack?: string; slot?: string; signal?: string; firedAt?: string }) {
                const dir = fs.mkdtempSync(path.join(work, "run-"));
                for (const f of fs.readdirSync(ROOT).filter((x) => /^Pulumi(\..+)?\.yaml$/.test(x))) {
                    fs.copyFileSync(path.join(ROOT, f), path.join(dir, f));
                }
                const script = path.join(dir, "step.sh");
                fs.writeFileSync(script, alertStep.run!);
                const file = (n: string) => path.join(dir, n);
                const r = spawnSync("bash", ["--noprofile", "--norc", "-eo", "pipefail", script], {
                    cwd: dir,
                    encoding: "utf8",
                    env: {
                        PATH: `${shims}:${process.env.PATH}`,
                        GITHUB_OUTPUT: file("output"),
                        GITHUB_STEP_SUMMARY: file("summary"),
                        PULUMI_CALLS: file("pulumi-calls"),
                        FAKE_OUTPUTS: outputs,
                        EVENT_STACK: payload.stack ?? "",
                        EVENT_SLOT: payload.slot ?? "",
                        EVENT_SIGNAL: payload.signal ?? "",
                        EVENT_FIRED_AT: payload.firedAt ?? "",
                    },
                });
                const read = (n: string) => (fs.existsSync(file(n)) ? fs.readFileSync(file(n), "utf8") : "");
                return { status: r.status, stdout: r.stdout, stderr: r.stderr, output: read("output"), summary: read("summary"), pulumi: read("pulumi-calls"), pwned: fs.existsSync(file("pwned")) || fs.existsSync(path.join(work, "pwned")) };
            }
            const recent = () => new Date(Date.now() - 5 * 60000).toISOString();

            it("rolls back the candidate carrying traffic: go=true, stack=prod", () => {
                const r = runAlertStep({ stack: "prod", slot: "green", signal: "error-rate", firedAt: recent() });
                expect(r.status, r.stderr).to.equal(0);
                expect(r.output).to.equal("go=true\nstack=prod\n");
                expect(r.pulumi).to.equal("stack output --json --stack prod\n");
                expect(r.stdout).to.match(/^rollback prod: green is prod's candidate at 25 %/);
            });

            it("succeeds as a no-op on the shared database's alert (no slot), saying why in the summary", () => {
                const r = runAlertStep({ stack: "prod", slot: "", signal: "db-connections", firedAt: recent() });
                expect(r.status, r.stderr).to.equal(0);
                expect(r.output).to.equal("go=false\n");
                expect(r.summary).to.match(/^slotshift should-rollback: no rollback: the alert on prod names no slot .*\n$/);
            });

            it("succeeds as a no-op on a stale alert and on the live slot", () => {
                expect(runAlertStep({ stack: "prod", slot: "green", firedAt: new Date(Date.now() - 60 * 60000).toISOString() }).output).to.equal("go=false\n");
                expect(runAlertStep({ stack: "prod", slot: "blue", firedAt: recent() }).output).to.equal("go=false\n");
            });

            it("runs none of the event's data as code, and hands pulumi no stack but the project's", () => {
                const firedAt = new Date(Date.now() - 5 * 60000).toISOString();
                const payloads = [
                    { stack: 'prod"; touch pwned; echo "', slot: "$(touch pwned)", signal: "`touch pwned`", firedAt },
                    { stack: "PROD", slot: "green", firedAt },
                    { stack: "prod", slot: "green\ngo=true", signal: "--help\nstack=prod", firedAt },
                ];
                for (const p of payloads) {
                    const r = runAlertStep(p);
                    const what = JSON.stringify(p);
                    expect(r.status, `${what}: ${r.stderr}`).to.equal(0);
                    expect(r.output, what).to.equal("go=false\n");
                    expect(r.pwned, what).to.equal(false);
                    expect(r.pulumi, what).to.equal(p.stack === "prod" ? "stack output --json --stack prod\n" : "");
                    expect(r.stdout.split("\n"), what).to.have.length(2);
                }
                const r = runAlertStep({ stack: "prod", slot: "green", firedAt: "$(touch pwned)" });
                expect(r.status).to.equal(2);
                expect(r.pwned).to.equal(false);
                expect(r.output).to.equal("");
            });
        });
    });

    describe("secrets", () => {
        it("never prints a secret: secrets reach steps only through env and with", () => {
            const texts = [...files.map((f) => fs.readFileSync(path.join(WORKFLOWS, f), "utf8")), fs.readFileSync(path.join(ROOT, ".github/actions/setup/action.yml"), "utf8")];
            for (const text of texts) {
                const doc = parse(text) as { jobs?: Record<string, Job>; runs?: { steps: { run?: string }[] } };
                const runs = [...Object.values(doc.jobs ?? {}).flatMap((j) => j.steps ?? []), ...(doc.runs?.steps ?? [])].map((s) => s.run ?? "");
                for (const run of runs) {
                    expect(run).not.to.match(/\$\{\{\s*secrets\./);
                    expect(run).not.to.match(/echo .*(TOKEN|PASSWORD|SECRET)/i);
                    expect(run).not.to.match(/set -x/);
                }
            }
        });

        it("signs in to Azure with OIDC: no stored keys, no client secret", () => {
            const all = files.map((f) => fs.readFileSync(path.join(WORKFLOWS, f), "utf8")).join("\n") + fs.readFileSync(path.join(ROOT, ".github/actions/setup/action.yml"), "utf8");
            expect(all).not.to.match(/client-secret|ARM_CLIENT_SECRET|AZURE_CREDENTIALS/);
            expect(all).to.contain("ARM_USE_OIDC");
            expect(all).to.contain("id-token: write");
        });

        it("pins every action to an exact version", () => {
            for (const u of allUses()) {
                if (u.startsWith("./")) {
                    continue;
                }
                expect(u, u).to.match(/@(v\d+\.\d+\.\d+|[0-9a-f]{40})$/);
            }
        });
    });

    describe("CODEOWNERS", () => {
        it("names owners for everything, and release managers for prod's stack file and the rules", () => {
            const text = fs.readFileSync(path.join(ROOT, ".github/CODEOWNERS"), "utf8");
            expect(text).to.match(/^\*\s+@/m);
            expect(text).to.match(/^Pulumi\.prod\.yaml\s+.*release-managers/m);
            expect(text).to.match(/^rollout\/\s+.*release-managers/m);
        });
    });

    describe("releasing slotshift", () => {
        const LOG = "# Changelog\n\n## [Unreleased]\n\n### Added\n- The thing.\n\n## [0.1.0] - 2026-11-01\n\n### Added\n- The first.\n";

        it("moves Unreleased under the new version with its date", () => {
            expect(releaseChangelog(LOG, "0.2.0", "2026-11-26")).to.equal(
                "# Changelog\n\n## [Unreleased]\n\n## [0.2.0] - 2026-11-26\n\n### Added\n- The thing.\n\n## [0.1.0] - 2026-11-01\n\n### Added\n- The first.\n",
            );
        });

        it("refuses a release with nothing under Unreleased, or one already there", () => {
            const released = releaseChangelog(LOG, "0.2.0", "2026-11-26");
            expect(() => releaseChangelog(released, "0.3.0", "2026-11-27")).to.throw(/nothing under '## \[Unreleased\]'/);
            expect(() => releaseChangelog(LOG, "0.1.0", "2026-11-27")).to.throw(/already has a section for 0\.1\.0/);
        });

        it("sets package.json's version and keeps every other byte", () => {
            const pkg = '{\n  "name": "slotshift",\n  "version": "0.1.0",\n  "private": true\n}\n';
            expect(bumpPackage(pkg, "0.2.0")).to.equal(pkg.replace("0.1.0", "0.2.0"));
        });

        it("edits the project's files with npm run release -- <version> --no-git, and refuses an older version", () => {
            const dir = fs.mkdtempSync(path.join(os.tmpdir(), "slotshift-release-"));
            fs.copyFileSync(path.join(ROOT, "package.json"), path.join(dir, "package.json"));
            fs.copyFileSync(path.join(ROOT, "CHANGELOG.md"), path.join(dir, "CHANGELOG.md"));
            const current = (JSON.parse(fs.readFileSync(path.join(dir, "package.json"), "utf8")) as { version: string }).version;
            expect(release(["0.0.1", "--no-git"], dir)).to.equal(1);
            const [major, minor] = current.split(".").map(Number);
            const next = `${major}.${minor + 1}.0`;
            expect(release([next, "--no-git", "--date", "2026-11-26"], dir)).to.equal(0);
            expect(fs.readFileSync(path.join(dir, "CHANGELOG.md"), "utf8")).to.contain(`## [Unreleased]\n\n## [${next}] - 2026-11-26\n`);
            expect((JSON.parse(fs.readFileSync(path.join(dir, "package.json"), "utf8")) as { version: string }).version).to.equal(next);
        });
    });
});

describe("how pulumi up starts the program", function () {
    this.timeout(120000);

    it("compiles with tsconfig.pulumi.json: no type check (Pulumi reads noCheck), SWC, and the project's settings", async () => {
        const { parse: parseYaml } = await import("yaml");
        const project = parseYaml(fs.readFileSync(path.join(ROOT, "Pulumi.yaml"), "utf8")) as { runtime: { options: { typescript: boolean; tsconfig: string } } };
        expect(project.runtime.options).to.deep.equal({ typescript: true, tsconfig: "tsconfig.pulumi.json" });
        const ts = await import("typescript");
        const read = (f: string) => ts.parseConfigFileTextToJson(f, fs.readFileSync(path.join(ROOT, f), "utf8")).config as { extends?: string; compilerOptions: Record<string, unknown>; "ts-node"?: Record<string, unknown> };
        const pulumiConfig = read("tsconfig.pulumi.json");
        expect(pulumiConfig.extends).to.equal("./tsconfig.json");
        expect(pulumiConfig.compilerOptions.noCheck).to.equal(true);
        expect(pulumiConfig["ts-node"]).to.deep.equal({ swc: true });
        // The type check itself stays on where npm test runs it.
        const main = read("tsconfig.json");
        expect(main.compilerOptions.strict).to.equal(true);
        expect(main.compilerOptions.noCheck).to.equal(undefined);
    });

    it("loads without doing anything until Pulumi runs it, and takes the Azure and Kubernetes SDKs by module", () => {
        const script = `
            const path = require("path");
            require("ts-node").register({ project: ${JSON.stringify(path.join(ROOT, "tsconfig.pulumi.json"))}, transpileOnly: true });
            const pulumi = require("@pulumi/pulumi");
            let calls = 0;
            pulumi.runtime.setMocks({ newResource(a) { calls++; return { id: a.name, state: a.inputs }; }, call() { calls++; return {}; } }, "slotshift", "prod", false);
            const formatter = Error.prepareStackTrace;
            const program = require(${JSON.stringify(path.join(ROOT, "index.ts"))});
            const roots = Object.keys(require.cache).filter((f) => /node_modules\\/@pulumi\\/(azure-native|kubernetes|docker)\\/index\\.js$/.test(f));
            process.stdout.write(JSON.stringify({ calls, program: typeof program, formatterKept: Error.prepareStackTrace === formatter, roots }));
        `;
        const r = spawnSync(process.execPath, ["-e", script], { cwd: ROOT, encoding: "utf8" });
        expect(r.status, r.stderr).to.equal(0);
        const out = JSON.parse(r.stdout) as { calls: number; program: string; formatterKept: boolean; roots: string[] };
        expect(out.program, "the program is a function Pulumi calls").to.equal("function");
        expect(out.calls, "registrations and calls while loading").to.equal(0);
        expect(out.formatterKept, "the stack formatter is installed when the program runs, not when it loads").to.equal(true);
        // @pulumi/docker has no per-module entry points; its root is small. The other two are not.
        expect(out.roots.filter((f) => !f.includes("@pulumi/docker/")), "root packages loaded").to.deep.equal([]);
    });

    it("starts the prod program and its floor cold that way (the bench's harness), and both register the same", async () => {
        const { plan } = await import("../cli/engine");
        const { readStackConfig } = await import("../cli/stackFile");
        const staging = await plan({ stack: "staging", root: ROOT, resolveReferences: true });
        const prod = await plan({ stack: "prod", root: ROOT, references: { staging: staging.outputs } });
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "slotshift-floor-"));
        const replay = path.join(dir, "registrations.json");
        fs.writeFileSync(replay, JSON.stringify({ resources: prod.resources, outputs: prod.outputs }));
        const cfg = readStackConfig(ROOT, "prod");
        const cold = (program: string) => {
            const r = spawnSync(process.execPath, [path.join(ROOT, "bench/child.js"), program, "transpile"], {
                encoding: "utf8",
                env: {
                    ...process.env,
                    PULUMI_CONFIG: JSON.stringify(cfg.config),
                    PULUMI_CONFIG_SECRET_KEYS: JSON.stringify(cfg.secretKeys),
                    BENCH_STACK: "prod",
                    BENCH_REFERENCES: JSON.stringify({ staging: staging.outputs }),
                    BENCH_REPLAY: replay,
                },
            });
            expect(r.status, r.stderr).to.equal(0);
            const out = JSON.parse(r.stdout.trim()) as { error: string | null; done: number; loaded: number; registrations: number };
            expect(out.error, program).to.equal(null);
            expect(out.done).to.be.greaterThan(out.loaded);
            return out.registrations;
        };
        try {
            const program = cold(ROOT);
            // The plan's resources, the stack itself and the two stack references the program reads.
            expect(program).to.equal(prod.resources.length + 3);
            expect(cold(path.join(ROOT, "bench/replay")), "the floor's registrations").to.equal(program);
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });
});
