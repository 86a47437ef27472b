import { expect } from "chai";
import { spawnSync } from "child_process";
import { diffLines } from "diff";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { PlanResult, plan } from "../cli/engine";
import { diffPlans } from "../cli/planDiff";
import { editText, configEdit, writeAtomically } from "../cli/stackEdit";
import { readStackConfig } from "../cli/stackFile";
import { aged, ROOT, runCli } from "./helpers";

/** A project folder with copies of the real stack files and the real program. */
function project(edit: (name: string, text: string) => string = (_n, t) => t): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "slotshift-cli-"));
    fs.copyFileSync(path.join(ROOT, "Pulumi.yaml"), path.join(dir, "Pulumi.yaml"));
    fs.symlinkSync(path.join(ROOT, "index.ts"), path.join(dir, "index.ts"));
    for (const stack of ["dev", "staging", "prod"]) {
        const name = `Pulumi.${stack}.yaml`;
        fs.writeFileSync(path.join(dir, name), edit(name, fs.readFileSync(path.join(ROOT, name), "utf8")));
    }
    return dir;
}

/** Runs the slotshift command in a folder. */
function slotshift(dir: string, ...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
    return runCli(dir, args);
}

const read = (dir: string, stack = "prod") => fs.readFileSync(path.join(dir, `Pulumi.${stack}.yaml`), "utf8");

/** Lines that differ between two texts. */
function changedLines(before: string, after: string): string[] {
    return diffLines(before, after)
        .filter((p) => p.added || p.removed)
        .flatMap((p) => p.value.replace(/\n$/, "").split("\n"));
}

/** Plans a stack of a folder with its own files, fed the previous outputs. */
function planIn(dir: string, stack: string, previous?: Record<string, unknown>, references?: Record<string, Record<string, unknown>>): Promise<PlanResult> {
    return plan({ stack, root: dir, previous: previous && aged(previous, 60), references, resolveReferences: true });
}

const nonRoutingChanges = (a: PlanResult, b: PlanResult) => diffPlans(a, b).nonRouting;

describe("the slotshift CLI", function () {
    this.timeout(300000);

    describe("a full prod release by CLI alone", () => {
        // Prod starts stable on 1.0.0 with green empty; staging has 1.1.0 live.
        const dir = project((name, text) => (name === "Pulumi.prod.yaml" ? editText(text, [configEdit("slotshift:slots.green", undefined)]) : text));
        const plans: PlanResult[] = [];
        const files: string[] = [];
        const outputs: string[] = [];

        before(async () => {
            plans.push(await planIn(dir, "prod"));
            files.push(read(dir));
            const commands = [["start", "1.1.0", "--sha", "e4f5a6b", "--build", "131"], ["next"], ["next"], ["next"], ["next"], ["finalize"]];
            for (const c of commands) {
                const r = await slotshift(dir, ...c, "--stack", "prod");
                outputs.push(r.stdout + r.stderr);
                expect(r.code, `${c.join(" ")}: ${r.stderr}`).to.equal(0);
                files.push(read(dir));
                const p = await planIn(dir, "prod", plans[plans.length - 1].outputs);
                expect(p.ok, `${c.join(" ")}: ${p.error?.message}`).to.equal(true);
                plans.push(p);
            }
        });

        it("stages, steps 5, 25, 50, 100 and finalizes, each step accepted by the real program", () => {
            const r = (p: PlanResult) => p.outputs.rollout as { live: string; weights: { green: number }; phase: string; transition: string };
            expect(plans.map((p) => r(p).transition)).to.deep.equal(["first-deploy", "stage", "step", "step", "step", "step", "finalize"]);
            expect(plans.map((p) => r(p).weights.green)).to.deep.equal([0, 0, 5, 25, 50, 100, 100]);
            expect(r(plans[6])).to.deep.include({ live: "green", phase: "stable" });
        });

        it("prints the diff and the next command after each edit", () => {
            expect(outputs[1]).to.contain("send 5 % to green");
            expect(outputs[1]).to.match(/- +\d+ +weight: 0\n\+ +\d+ +weight: 5/);
            expect(outputs[1]).to.contain("Next: pulumi preview --stack prod, then pulumi up --stack prod; after it: slotshift next --stack prod");
            expect(outputs[4]).to.contain("after it: slotshift finalize --stack prod");
        });

        it("changes only the keys it edits, every other byte kept", () => {
            const allowed = /^\s*(weight|live|force|version|gitSha|buildNumber|green):/;
            for (let i = 1; i < files.length; i++) {
                const lines = changedLines(files[i - 1], files[i]);
                expect(lines.length, `edit ${i}`).to.be.greaterThan(0);
                for (const l of lines) {
                    expect(l, `edit ${i}`).to.match(allowed);
                }
            }
            // Every comment of the original file is still there, in order.
            const comments = (t: string) => t.split("\n").filter((l) => l.trim().startsWith("#"));
            expect(comments(files[files.length - 1])).to.deep.equal(comments(fs.readFileSync(path.join(ROOT, "Pulumi.prod.yaml"), "utf8")));
        });

        for (const [i, weight] of [[2, 5], [3, 25], [4, 50], [5, 100]] as const) {
            it(`rolls back from ${weight} % by CLI, and the program changes only routing`, async () => {
                const d = project((name, text) => (name === "Pulumi.prod.yaml" ? files[i] : text));
                const r = await slotshift(d, "rollback", "--stack", "prod");
                expect(r.code, r.stderr).to.equal(0);
                expect(changedLines(files[i], read(d))).to.deep.equal([`    weight: ${weight}`, "    weight: 0"]);
                const back = await planIn(d, "prod", plans[i].outputs);
                expect(back.ok, back.error?.message).to.equal(true);
                expect(nonRoutingChanges(plans[i], back)).to.deep.equal([]);
            });
        }

        it("rolls back what is deployed when a failed step left the file behind", async () => {
            // Deployed: green at 5 % (the update went through, the pipeline failed before committing the file).
            const d = project((name, text) => (name === "Pulumi.prod.yaml" ? files[1] : text));
            const file = path.join(d, "deployed.json");
            fs.writeFileSync(file, JSON.stringify(plans[2].outputs));
            const r = await slotshift(d, "rollback", "--stack", "prod", "--previous", file);
            expect(r.code, r.stderr).to.equal(0);
            expect(r.stdout).to.contain("send all traffic back to blue");
            expect(r.stdout).to.contain("the stack file already says so");
        });

        it("rolls back after finalize to the warm slot", async () => {
            const d = project((name, text) => (name === "Pulumi.prod.yaml" ? files[6] : text));
            const r = await slotshift(d, "rollback", "--stack", "prod");
            expect(r.code, r.stderr).to.equal(0);
            expect(r.stdout).to.contain("make blue live again (1.0.0)");
            const back = await planIn(d, "prod", plans[6].outputs);
            expect(back.ok, back.error?.message).to.equal(true);
            expect((back.outputs.rollout as { live: string }).live).to.equal("blue");
        });
    });

    describe("status", () => {
        it("shows the slots, the weight over the steps, the phase and the next command", async () => {
            const dir = project((name, text) => (name === "Pulumi.prod.yaml" ? text.replace("    weight: 0", "    weight: 50") : text));
            const r = await slotshift(dir, "status", "--stack", "prod");
            expect(r.code).to.equal(0);
            expect(r.stdout).to.contain("5 ▸ 25 ▸ [50] ▸ 100");
            expect(r.stdout).to.match(/^ {2}live {8}blue 1\.0\.0$/m);
            expect(r.stdout).to.contain("weight      green 1.1.0 at 50 % (step 3/4)");
            expect(r.stdout).to.match(/blue +stable +1\.0\.0 +a1b2c3d +- +50 % +3 pods/);
            // A proportional canary's candidate at 50 %: 3 x 50 % x 1.25 headroom, rounded up.
            expect(r.stdout).to.match(/green +canary +1\.1\.0 +e4f5a6b +- +50 % +2 pods/);
            expect(r.stdout).to.contain("phase       progressing: green 1.1.0 carries 50 % (step 3/4)");
            expect(r.stdout).to.contain("view        the stack file only (Pulumi.prod.yaml)");
            expect(r.stdout).to.contain("slotshift next --stack prod");
        });

        it("gives pipelines one JSON document, and says when the file is ahead of what is deployed", async () => {
            const dir = project();
            const deployed = await planIn(dir, "prod");
            const file = path.join(dir, "prod-outputs.json");
            fs.writeFileSync(file, JSON.stringify(deployed.outputs));
            fs.writeFileSync(path.join(dir, "Pulumi.prod.yaml"), read(dir).replace("    weight: 0", "    weight: 5"));
            const r = await slotshift(dir, "status", "--stack", "prod", "--json", "--previous", file);
            const s = JSON.parse(r.stdout) as {
                phase: string;
                desired: { weight: number };
                deployed: { live: string; weight: number };
                pending: { move: string; summary: string; refused: string | null };
                holdUntil: string | null;
                next: { command: string };
            };
            // The phase is what is deployed (staged at 0 %); the file wants 5 %: pending.
            expect(s.phase).to.equal("staged");
            expect(s.desired.weight).to.equal(5);
            expect(s.deployed.weight).to.equal(0);
            // Deployed is staged at 0 %: nothing holds the first step.
            expect(s.holdUntil).to.equal(null);
            expect(s.deployed.live).to.equal("blue");
            expect(s.pending).to.deep.include({ move: "step", summary: "a step of green from 0 % to 5 %", refused: null });
            expect(s.next.command).to.equal("pulumi up --stack prod");
        });
    });

    describe("refusals leave the file untouched", () => {
        const cases: { what: string; args: string[]; message: RegExp; setup?: (t: string) => string }[] = [
            { what: "finalize before 100 %", args: ["finalize"], message: /finalize needs the candidate at 100 %; the next step is 5/ },
            { what: "next with nothing staged", args: ["next"], setup: (t) => editText(t, [configEdit("slotshift:slots.green", undefined)]), message: /nothing is staged in green; stage a release first: slotshift start/ },
            { what: "next at 100 %", args: ["next"], setup: (t) => t.replace("    weight: 0", "    weight: 100"), message: /the next move is slotshift finalize --stack prod/ },
            { what: "a prerelease in prod", args: ["start", "1.2.0-rc.1", "--sha", "abcdef1"], setup: (t) => t.replace("    live: blue", "    live: blue"), message: /allowed: a release X\.Y\.Z only/ },
            { what: "a version staging does not have live", args: ["start", "1.2.0", "--sha", "abcdef1"], message: /but staging has 1\.1\.0 live/ },
            { what: "a version without a sha", args: ["start", "1.1.0"], message: /gitSha is needed to find the image of 1\.1\.0; give --sha/ },
            { what: "a rollback with nothing in flight", args: ["rollback"], setup: (t) => editText(t, [configEdit("slotshift:slots.green", undefined)]), message: /nothing to roll back in prod/ },
            { what: "a new version while green carries traffic", args: ["start", "1.1.0", "--sha", "abcdef1"], setup: (t) => t.replace("    weight: 0", "    weight: 25"), message: /green carried 25 % in the previous update/ },
        ];
        for (const c of cases) {
            it(`refuses ${c.what}, exit 1`, async () => {
                const dir = project((name, text) => (name === "Pulumi.prod.yaml" && c.setup ? c.setup(text) : text));
                const before = read(dir);
                const r = await slotshift(dir, ...c.args, "--stack", "prod");
                expect(r.code).to.equal(1);
                expect(r.stderr).to.match(/^slotshift: refused: /);
                expect(r.stderr).to.match(c.message);
                expect(read(dir)).to.equal(before);
                expect(fs.readdirSync(dir).filter((f) => f.endsWith(".tmp"))).to.deep.equal([]);
            });
        }

        it("refuses the next step inside the hold, from the deployed outputs", async () => {
            const dir = project();
            const staged = await planIn(dir, "prod");
            fs.writeFileSync(path.join(dir, "Pulumi.prod.yaml"), read(dir).replace("    weight: 0", "    weight: 5"));
            const at5 = await plan({ stack: "prod", root: dir, previous: aged(staged.outputs, 60), resolveReferences: true, now: new Date("2026-11-26T12:00:00Z") });
            const file = path.join(dir, "prod-outputs.json");
            fs.writeFileSync(file, JSON.stringify(at5.outputs));
            const before = read(dir);
            const st = await slotshift(dir, "status", "--stack", "prod", "--json", "--previous", file);
            expect((JSON.parse(st.stdout) as { holdUntil: string }).holdUntil).to.equal("2026-11-26T12:05:00.000Z");
            const r = await slotshift(dir, "next", "--stack", "prod", "--previous", file, "--now", "2026-11-26T12:02:00Z");
            expect(r.code).to.equal(1);
            expect(r.stderr).to.contain("green has carried 5 % for 2 minute(s)");
            expect(read(dir)).to.equal(before);
        });
    });

    describe("usage", () => {
        it("lists the stacks there for an unknown stack, exit 2", async () => {
            const r = await slotshift(project(), "status", "--stack", "qa");
            expect(r.code).to.equal(2);
            expect(r.stderr).to.contain('unknown stack "qa"');
            expect(r.stderr).to.contain("stacks here: dev, prod, staging");
        });

        it("names line and column of a YAML syntax error, exit 2", async () => {
            const dir = project((name, text) => (name === "Pulumi.prod.yaml" ? text.replace("    live: blue", "    live: [blue") : text));
            const r = await slotshift(dir, "next", "--stack", "prod");
            expect(r.code).to.equal(2);
            expect(r.stderr).to.match(/Pulumi\.prod\.yaml:\d+:\d+: YAML syntax error/);
        });

        it("documents the exit codes in --help", async () => {
            const r = await slotshift(project(), "--help");
            expect(r.code).to.equal(0);
            expect(r.stdout).to.contain("Exit codes:");
            expect(r.stdout).to.match(/1 +refused/);
        });

        it("writes nothing with --dry-run", async () => {
            const dir = project();
            const before = read(dir);
            const r = await slotshift(dir, "next", "--stack", "prod", "--dry-run");
            expect(r.code).to.equal(0);
            expect(r.stdout).to.contain("dry run: nothing written");
            expect(read(dir)).to.equal(before);
        });

        it("says what to install when --up finds no Pulumi CLI, exit 3, the edit made", async () => {
            const dir = project();
            const empty = fs.mkdtempSync(path.join(os.tmpdir(), "slotshift-nopath-"));
            const savedPath = process.env.PATH;
            process.env.PATH = empty;
            let r: { code: number; stderr: string };
            try {
                r = await slotshift(dir, "next", "--stack", "prod", "--up");
            } finally {
                process.env.PATH = savedPath;
            }
            expect(r.code).to.equal(3);
            expect(r.stderr).to.contain("--up needs the Pulumi CLI on the PATH");
            expect(r.stderr).to.contain("run: pulumi up --stack prod");
            expect(read(dir)).to.contain("    weight: 5");
        });

        it("runs as the package's bin, the way npx slotshift starts it", () => {
            const r = spawnSync(process.execPath, [path.join(ROOT, "bin/slotshift.js"), "status", "--stack", "prod"], { cwd: ROOT, encoding: "utf8" });
            expect(r.status, r.stderr).to.equal(0);
            expect(r.stdout).to.match(/^stack prod \(environment prod, strategy canary\)/);
            const bad = spawnSync(process.execPath, [path.join(ROOT, "bin/slotshift.js"), "finalize", "--stack", "prod", "--dry-run"], { cwd: ROOT, encoding: "utf8" });
            expect(bad.status).to.equal(1);
        });

        it("plans through slotshift plan", async () => {
            const r = await slotshift(project(), "plan", "--stack", "staging", "--json");
            expect(r.code).to.equal(0);
            expect((JSON.parse(r.stdout) as { ok: boolean }).ok).to.equal(true);
        });
    });

    describe("atomic writes", () => {
        const file = () => {
            const dir = fs.mkdtempSync(path.join(os.tmpdir(), "slotshift-atomic-"));
            const f = path.join(dir, "Pulumi.prod.yaml");
            fs.writeFileSync(f, "config:\n  slotshift:rollout: { weight: 5 }\n");
            return f;
        };

        it("leaves the old file whole when the write dies half way", () => {
            const f = file();
            const before = fs.readFileSync(f, "utf8");
            const dying = {
                writeFileSync(p: string, data: string) {
                    fs.writeFileSync(p, data.slice(0, 10));
                    throw new Error("ENOSPC: no space left on device");
                },
                renameSync: fs.renameSync,
                rmSync: fs.rmSync,
            };
            expect(() => writeAtomically(f, "config:\n  slotshift:rollout: { weight: 25 }\n", dying)).to.throw(/ENOSPC/);
            expect(fs.readFileSync(f, "utf8")).to.equal(before);
            expect(fs.readdirSync(path.dirname(f))).to.deep.equal(["Pulumi.prod.yaml"]);
        });

        it("leaves the old file whole when the rename never happens", () => {
            const f = file();
            const before = fs.readFileSync(f, "utf8");
            const killed = { writeFileSync: fs.writeFileSync, renameSync: () => { throw new Error("killed"); }, rmSync: fs.rmSync };
            expect(() => writeAtomically(f, "new", killed)).to.throw(/killed/);
            expect(fs.readFileSync(f, "utf8")).to.equal(before);
            expect(fs.readdirSync(path.dirname(f))).to.deep.equal(["Pulumi.prod.yaml"]);
        });

        it("replaces the file whole when all goes well", () => {
            const f = file();
            writeAtomically(f, "config: {}\n");
            expect(fs.readFileSync(f, "utf8")).to.equal("config: {}\n");
        });
    });

    describe("edits of the stack file", () => {
        it("quote what YAML would read as another type, and read back exactly", () => {
            const text = "config:\n  slotshift:slots:\n    blue: { version: 1.0.0 }\n";
            const out = editText(text, [configEdit("slotshift:slots.blue.gitSha", "1234567"), configEdit("slotshift:slots.blue.branch", "true")]);
            expect(out).to.equal('config:\n  slotshift:slots:\n    blue: { version: 1.0.0, gitSha: "1234567", branch: "true" }\n');
        });

        it("end the lines they add as the file's lines end (a stack file written with CRLF keeps CRLF)", () => {
            const lf = fs.readFileSync(path.join(ROOT, "Pulumi.prod.yaml"), "utf8");
            const crlf = lf.replace(/\n/g, "\r\n");
            // A replaced value, an added key, and an added mapping two levels deep.
            const edits = [configEdit("slotshift:rollout.weight", 5), configEdit("slotshift:traffic.probeProtocol", "HTTPS"), configEdit("slotshift:app.registry.username", "deployer")];
            const out = editText(crlf, edits);
            expect(out.split("\r\n").length, "lines added").to.be.greaterThan(crlf.split("\r\n").length);
            expect(out.replace(/\r\n/g, ""), "a line ended by LF alone").not.to.include("\n");
            expect(out.replace(/\r\n/g, ""), "a CR that ends no line").not.to.include("\r");
            expect(out.replace(/\r\n/g, "\n")).to.equal(editText(lf, edits));
        });

        it("keep the stack file's config readable by Pulumi's rules after every edit", () => {
            const dir = project();
            const cfg = readStackConfig(dir, "prod");
            expect(cfg.config["slotshift:rollout"]).to.contain('"weight":0');
        });
    });
});
