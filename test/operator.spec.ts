/**
 * The operator's commands around a rollback and a finalize: `retry` after a rollback (rule
 * retry-after-rollback), `decommission` after the warm time, and `force` that holds for one edit only.
 * Each step is the CLI editing a copy of the real stack files, then the real program planning it
 * against the previous plan's outputs, as `pulumi up` would.
 */
import { expect } from "chai";
import { spawn, spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { PlanResult, plan } from "../cli/engine";
import { RolloutState } from "../rollout/state";
import { ROOT, aged, runCli } from "./helpers";

function project(): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "slotshift-operator-"));
    fs.copyFileSync(path.join(ROOT, "Pulumi.yaml"), path.join(dir, "Pulumi.yaml"));
    fs.symlinkSync(path.join(ROOT, "index.ts"), path.join(dir, "index.ts"));
    for (const stack of ["dev", "staging", "prod"]) {
        fs.copyFileSync(path.join(ROOT, `Pulumi.${stack}.yaml`), path.join(dir, `Pulumi.${stack}.yaml`));
    }
    return dir;
}

const read = (dir: string) => fs.readFileSync(path.join(dir, "Pulumi.prod.yaml"), "utf8");

/** Plans prod of the folder against the previous outputs, aged an hour (past every hold). */
async function up(dir: string, previous?: PlanResult): Promise<PlanResult> {
    const p = await plan({ stack: "prod", root: dir, previous: previous && aged(previous.outputs, 60), resolveReferences: true });
    expect(p.ok, p.error?.message).to.equal(true);
    return p;
}

/** The outputs as a --previous file. */
function outputsFile(dir: string, p: PlanResult, name: string): string {
    const file = path.join(dir, `${name}.json`);
    fs.writeFileSync(file, JSON.stringify(aged(p.outputs, 60)));
    return file;
}

const rollout = (p: PlanResult) => p.outputs.rollout as RolloutState;

describe("the operator's commands: retry, decommission, force for one edit", function () {
    this.timeout(300000);

    describe("after a rollback", () => {
        const dir = project();
        let back: PlanResult;
        let backFile: string;

        before(async () => {
            const staged = await up(dir);
            expect((await runCli(dir, ["next", "--stack", "prod"])).code).to.equal(0);
            const at5 = await up(dir, staged);
            const r = await runCli(dir, ["rollback", "--stack", "prod", "--previous", outputsFile(dir, at5, "at5")]);
            expect(r.code, r.stderr).to.equal(0);
            back = await up(dir, at5);
            backFile = outputsFile(dir, back, "back");
        });

        it("records the build rolled back in the rollout output (aborted) and in its history", () => {
            const s = rollout(back);
            expect(s.transition).to.equal("rollback");
            expect(s.aborted).to.include({ slot: "green", version: "1.1.0" });
            expect(s.history.map((h) => h.transition)).to.deep.equal(["first-deploy", "step", "rollback"]);
        });

        it("refuses next onto the same build, naming the rollback and offering retry or a new build; the file untouched", async () => {
            const before = read(dir);
            const r = await runCli(dir, ["next", "--stack", "prod", "--previous", backFile]);
            expect(r.code).to.equal(1);
            expect(r.stderr.trim().split("\n")).to.have.length(1);
            expect(r.stderr).to.contain(`green's build 1.1.0 was rolled back at ${rollout(back).aborted!.at}`);
            expect(r.stderr).to.contain("slotshift retry");
            expect(r.stderr).to.contain("slotshift start");
            expect(read(dir)).to.equal(before);
        });

        it("retry needs what is deployed: without outputs it says how to give them, exit 2, nothing written", async () => {
            const before = read(dir);
            const r = await runCli(dir, ["retry", "--stack", "prod"], { ...process.env, PATH: "/nonexistent" });
            expect(r.code).to.equal(2);
            expect(r.stderr).to.match(/retry needs what is deployed, which records the rollback: give --previous FILE/);
            expect(read(dir)).to.equal(before);
        });

        it("retry writes retry: <the rollback's time> and the first step, and the program takes it as a retried step", async () => {
            const r = await runCli(dir, ["retry", "--stack", "prod", "--previous", backFile]);
            expect(r.code, r.stderr).to.equal(0);
            const text = read(dir);
            expect(text).to.contain(`retry: "${rollout(back).aborted!.at}"`);
            expect(text).to.match(/weight: 5\b/);
            const again = await up(dir, back);
            expect(rollout(again)).to.include({ transition: "step", aborted: null });
            expect(rollout(again).history.at(-1)).to.include({ transition: "step", retried: true, weight: 5 });
        });

        it("history lists the transitions the outputs record; status reads them through the Pulumi CLI when it is on the PATH", async () => {
            const h = await runCli(dir, ["history", "--stack", "prod", "--previous", backFile]);
            expect(h.code, h.stderr).to.equal(0);
            expect(h.stdout).to.match(/first-deploy/);
            expect(h.stdout).to.match(/rollback/);
            // A stand-in for the Pulumi CLI: `pulumi stack output --json --stack prod` prints the outputs.
            const bin = fs.mkdtempSync(path.join(os.tmpdir(), "slotshift-pulumi-"));
            fs.writeFileSync(path.join(bin, "pulumi"), `#!/bin/sh\n[ "$1 $2" = "stack output" ] || exit 3\ncat '${backFile}'\n`, { mode: 0o755 });
            const env = { ...process.env, PATH: `${bin}${path.delimiter}${process.env.PATH ?? ""}` };
            const st = await runCli(dir, ["status", "--stack", "prod", "--json"], env);
            expect(st.code, st.stderr).to.equal(0);
            const s = JSON.parse(st.stdout) as { deployedFrom: string; source: string; phase: string; next: { command: string } };
            expect(s.deployedFrom).to.equal("outputs");
            expect(s.source).to.contain("pulumi stack output --json --stack prod");
            expect(s.phase).to.equal("aborted");
            expect(s.next.command).to.not.match(/slotshift next/);
            const noCli = await runCli(dir, ["history", "--stack", "prod"], { ...process.env, PATH: "/nonexistent" });
            expect(noCli.stdout).to.match(/nothing deployed is known/);
        });

        it("refuses a retry when nothing was rolled back", async () => {
            const d = project();
            const staged = await up(d);
            const r = await runCli(d, ["retry", "--stack", "prod", "--previous", outputsFile(d, staged, "staged")]);
            expect(r.code).to.equal(1);
            expect(r.stderr).to.match(/slotshift: refused: nothing to retry in prod: the deployed rollout output records no rollback/);
        });
    });

    describe("force holds for one edit", () => {
        it("every edit writes force: false unless --force; --force writes true and warns FORCED", async () => {
            const dir = project();
            fs.writeFileSync(path.join(dir, "Pulumi.prod.yaml"), read(dir).replace(/\n    force: false\n/, "\n    force: true\n"));
            expect(read(dir)).to.contain("force: true");
            const r1 = await runCli(dir, ["next", "--stack", "prod"]);
            expect(r1.code, r1.stderr).to.equal(0);
            expect(read(dir)).to.match(/force: false\n/);
            const r2 = await runCli(dir, ["next", "--stack", "prod", "--force"]);
            expect(r2.code, r2.stderr).to.equal(0);
            expect(read(dir)).to.match(/force: true\n/);
            expect(r2.stderr).to.match(/warning: FORCED: this edit writes slotshift:rollout.force: true/);
            const r3 = await runCli(dir, ["rollback", "--stack", "prod"]);
            expect(r3.code, r3.stderr).to.equal(0);
            expect(read(dir)).to.match(/force: false\n/);
        });

        it("finalize keeps the force line and the comment above it (it is set to false, not deleted)", async () => {
            const dir = project();
            // The committed file's own comment above force: false.
            const text = read(dir).replace(/weight: 0\b/, "weight: 100");
            expect(text).to.contain("    # Allow one jump over steps (set back to false after the update).\n    force: false\n");
            fs.writeFileSync(path.join(dir, "Pulumi.prod.yaml"), text);
            const r = await runCli(dir, ["finalize", "--stack", "prod"]);
            expect(r.code, r.stderr).to.equal(0);
            expect(read(dir)).to.contain("    # Allow one jump over steps (set back to false after the update).\n    force: false\n");
        });
    });

    describe("decommission", () => {
        it("refuses the warm slot inside its warm time (rule warm-hold), and scales it down after", async () => {
            const dir = project();
            let p = await up(dir);
            for (const cmd of ["next", "next", "next", "next", "finalize"]) {
                const r = await runCli(dir, [cmd, "--stack", "prod"]);
                expect(r.code, `${cmd}: ${r.stderr}`).to.equal(0);
                p = await up(dir, p);
            }
            expect(rollout(p)).to.include({ transition: "finalize", warm: "blue" });
            // The outputs as written: the warm time (30 minutes in prod) started at the finalize.
            const file = path.join(dir, "final.json");
            fs.writeFileSync(file, JSON.stringify(p.outputs));
            const finalizedAt = Date.parse(rollout(p).finalizedAt!);
            const early = new Date(finalizedAt + 10 * 60000).toISOString();
            const before = read(dir);
            const refused = await runCli(dir, ["decommission", "--stack", "prod", "--previous", file, "--now", early]);
            expect(refused.code).to.equal(1);
            expect(refused.stderr).to.match(/slotshift: refused: .*blue, which has been warm for 10 minute\(s\)/);
            expect(read(dir)).to.equal(before);
            const late = new Date(finalizedAt + 31 * 60000).toISOString();
            const ok = await runCli(dir, ["decommission", "--stack", "prod", "--previous", file, "--now", late]);
            expect(ok.code, ok.stderr).to.equal(0);
            expect(ok.stdout).to.contain("scale blue (1.0.0) down to no pods: the previous release, kept warm until now");
            expect(read(dir)).to.match(/decommissioned: true/);
        });

        it("refuses a slot that carries traffic, naming the rollback to do first", async () => {
            const dir = project();
            fs.writeFileSync(path.join(dir, "Pulumi.prod.yaml"), read(dir).replace(/weight: 0\b/, "weight: 25"));
            const r = await runCli(dir, ["decommission", "--stack", "prod"]);
            expect(r.code).to.equal(1);
            expect(r.stderr).to.match(/green carries 25 % of prod's traffic; roll back first/);
        });
    });

    describe("a reader that leaves early", () => {
        it("is not a refusal: `slotshift next | true` exits 0 with the file written and no stack trace", () => {
            const dir = project();
            const bin = path.join(ROOT, "bin", "slotshift.js");
            // `true` exits before slotshift writes a byte: every write of the command meets a closed pipe (EPIPE).
            const r = spawnSync("bash", ["-c", `'${process.execPath}' '${bin}' next --stack prod | true; echo "exit=\${PIPESTATUS[0]}" >&2`], {
                cwd: dir,
                encoding: "utf8",
            });
            expect(r.stderr).to.match(/exit=0\n$/);
            expect(r.stderr).not.to.match(/\n\s+at /);
            expect(read(dir)).to.match(/weight: 5\b/);
        });
    });

    describe("edits at the same time", () => {
        it("four `slotshift next` processes at once: each applied in turn or refused with exit 8, never one lost", async () => {
            const dir = project();
            const bin = path.join(ROOT, "bin", "slotshift.js");
            const runs = await Promise.all(
                [1, 2, 3, 4].map(
                    () =>
                        new Promise<{ code: number | null; stderr: string; stdout: string }>((resolve) => {
                            const child = spawn(process.execPath, [bin, "next", "--stack", "prod"], { cwd: dir, env: { ...process.env, PATH: "/usr/bin:/bin" } });
                            let stdout = "";
                            let stderr = "";
                            child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
                            child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
                            child.on("close", (code) => resolve({ code, stdout, stderr }));
                        }),
                ),
            );
            for (const r of runs) {
                expect([0, 8], r.stderr).to.include(r.code);
            }
            const done = runs.filter((r) => r.code === 0);
            // Each applied edit moved one step further: the file holds the step of the last one.
            const steps = [5, 25, 50, 100];
            expect(read(dir)).to.match(new RegExp(`\\n    weight: ${steps[done.length - 1]}\\n`));
            expect(done.map((r) => /send (\d+) % to green/.exec(r.stdout)?.[1]).sort((a, b) => Number(a) - Number(b))).to.deep.equal(steps.slice(0, done.length).map(String));
            expect(fs.readdirSync(dir).filter((f) => f.includes("slotshift") && f.startsWith("."))).to.deep.equal([]);
        });
    });

    describe("notify, through the slotshift command", () => {
        it("writes the message to the job summary and says no webhook is configured, exit 0", async () => {
            const dir = project();
            const summary = path.join(dir, "summary.md");
            const r = await runCli(dir, ["notify", "--stack", "prod", "--event", "rollback", "--run-url", "https://github.com/acme/market/actions/runs/1"], {
                ...process.env,
                GITHUB_STEP_SUMMARY: summary,
                SLOTSHIFT_TEAMS_WEBHOOK_URL: "",
                SLOTSHIFT_SLACK_WEBHOOK_URL: "",
            });
            expect(r.code, r.stderr).to.equal(0);
            expect(r.stdout + r.stderr).to.match(/no webhook configured/);
            expect(fs.readFileSync(summary, "utf8")).to.contain("ROLLED BACK");
        });
    });
});
