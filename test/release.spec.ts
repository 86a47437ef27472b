import { expect } from "chai";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { PlanResult } from "../cli/engine";
import { diffPlans } from "../cli/planDiff";
import { main as planMain } from "../cli/plan";
import { aged, edited, planStack, stackConfig, walk, withKey } from "./helpers";

/** `type::name` of every resource whose inputs differ between two plans (added or removed too). */
const changed = (a: PlanResult, b: PlanResult) => diffPlans(a, b).changed;
const nonRouting = (a: PlanResult, b: PlanResult) => diffPlans(a, b).nonRouting;

const rollout = (r: PlanResult) => r.outputs.rollout as { phase: string; weights: Record<string, number>; live: string; transition: string; digests: Record<string, string>; warm: string | null; replicas: Record<string, number> };

describe("a prod release through the real program", function () {
    this.timeout(300000);

    const weights = [0, 5, 25, 50, 100];
    let steps: PlanResult[];
    let finalized: PlanResult;

    before(async () => {
        steps = await walk("prod", weights.map((w) => ({ "slotshift:rollout.weight": w })));
        const last = await walk("prod", [{ "slotshift:rollout.live": "green", "slotshift:rollout.weight": 0 }], {
            base: withKey(stackConfig("prod").config, "slotshift:rollout.weight", 100),
            previous: steps[steps.length - 1].outputs,
        });
        finalized = last[0];
    });

    it("stages at 0, steps 5, 25, 50, 100, each update fed the previous one's outputs", () => {
        expect(steps.map((s) => s.error?.message ?? "ok")).to.deep.equal(["ok", "ok", "ok", "ok", "ok"]);
        expect(steps.map((s) => rollout(s).weights.green)).to.deep.equal(weights);
        expect(steps.map((s) => rollout(s).phase)).to.deep.equal(["staged", "shifting", "shifting", "shifting", "shifted"]);
        expect(steps.map((s) => rollout(s).transition)).to.deep.equal(["first-deploy", "step", "step", "step", "step"]);
    });

    it("changes only the endpoints at every step, and the candidate's pods where its share needs more (proportional capacity: 1, 1, 2, 3)", () => {
        const scaled = ["nextgen-market-prod-green-deployment"];
        for (let i = 1; i < steps.length; i++) {
            const diff = changed(steps[i - 1], steps[i]);
            expect(diff.length, `step to ${weights[i]}`).to.be.greaterThan(0);
            const grows = rollout(steps[i]).replicas.green > rollout(steps[i - 1]).replicas.green;
            expect(nonRouting(steps[i - 1], steps[i]).map((k) => k.split("::")[1]), `step to ${weights[i]}`).to.deep.equal(grows ? scaled : []);
        }
        expect(steps.map((s) => rollout(s).replicas.green)).to.deep.equal([1, 1, 1, 2, 3]);
    });

    it("finalizes: green is live, blue stays warm at 0 %, and only routing changes", () => {
        expect(finalized.ok, finalized.error?.message).to.equal(true);
        expect(rollout(finalized)).to.deep.include({ live: "green", warm: "blue", phase: "stable", transition: "finalize" });
        expect(rollout(finalized).weights).to.deep.equal({ blue: 0, green: 100 });
        expect(nonRouting(steps[4], finalized)).to.deep.equal([]);
    });

    for (const [i, w] of weights.entries()) {
        if (w === 0) {
            continue;
        }
        it(`rolls back from ${w} % in one edit that changes only routing`, async () => {
            const back = await planStack("prod", {
                config: edited("prod", { "slotshift:rollout.weight": 0 }),
                previous: steps[i].outputs,
            });
            expect(back.ok, back.error?.message).to.equal(true);
            expect(rollout(back)).to.deep.include({ transition: "rollback", phase: "staged" });
            expect(rollout(back).weights).to.deep.equal({ blue: 100, green: 0 });
            expect(changed(steps[i], back).length).to.be.greaterThan(0);
            expect(nonRouting(steps[i], back)).to.deep.equal([]);
        });
    }

    it("rolls back after finalize to the warm slot, changing only routing", async () => {
        const back = await planStack("prod", {
            config: edited("prod", { "slotshift:rollout.weight": 0, "slotshift:rollout.live": "blue" }),
            previous: aged(finalized.outputs, 5),
        });
        expect(back.ok, back.error?.message).to.equal(true);
        expect(rollout(back)).to.deep.include({ live: "blue", transition: "rollback-after-finalize" });
        expect(nonRouting(finalized, back)).to.deep.equal([]);
    });

    it("refuses a skipped step and registers nothing", async () => {
        const skip = await planStack("prod", { config: edited("prod", { "slotshift:rollout.weight": 50 }), previous: aged(steps[1].outputs, 60) });
        expect(skip.ok).to.equal(false);
        expect(skip.error?.key).to.equal("slotshift:rollout.weight");
        expect(skip.error?.message).to.contain("the previous update left green at 5 %; the next step is 25, or 0 to roll back");
        expect(skip.resources).to.deep.equal([]);
    });

    it("refuses the next step inside the hold, with the minutes left", async () => {
        const early = await planStack("prod", { config: edited("prod", { "slotshift:rollout.weight": 25 }), previous: steps[1].outputs });
        expect(early.ok).to.equal(false);
        expect(early.error?.message).to.match(/\(slotshift:rollout\.minStepMinutes\): wait \d more/);
        expect(early.resources).to.deep.equal([]);
    });
});

describe("promotion from staging to prod", function () {
    this.timeout(120000);

    let staging: PlanResult;
    before(async () => {
        staging = await planStack("staging");
    });

    it("deploys to prod's candidate the very digest staging has live", async () => {
        const prod = await planStack("prod", { references: { staging: staging.outputs } });
        expect(prod.ok, prod.error?.message).to.equal(true);
        const s = rollout(staging);
        expect(rollout(prod).digests.green).to.equal(s.digests[s.live]);
        const green = prod.resources.find((r) => r.name === "nextgen-market-prod-green-deployment")!;
        const image = (green.inputs.spec as { template: { spec: { containers: { image: string }[] } } }).template.spec.containers[0].image;
        expect(image).to.equal(`ghcr.io/nextgen-market/nextgen-market@${s.digests[s.live]}`);
    });

    it("refuses a version staging does not have live", async () => {
        const prod = await planStack("prod", {
            config: edited("prod", { "slotshift:slots.green.version": "1.1.1" }),
            references: { staging: staging.outputs },
        });
        expect(prod.ok).to.equal(false);
        expect(prod.error?.key).to.equal("slotshift:slots.green.version");
        expect(prod.error?.message).to.contain('is "1.1.1" but staging has 1.1.0 live');
        expect(prod.resources).to.deep.equal([]);
    });

    it("refuses another digest than staging's", async () => {
        const other = `sha256:${"e".repeat(64)}`;
        const prod = await planStack("prod", {
            config: edited("prod", { "slotshift:slots.green.digest": other }),
            references: { staging: staging.outputs },
        });
        expect(prod.ok).to.equal(false);
        expect(prod.error?.key).to.equal("slotshift:slots.green.digest");
        expect(prod.error?.message).to.contain("promote the artifact, never another build");
    });
});

describe("plan --previous", function () {
    this.timeout(120000);

    it("refuses a skipped step from a file pulumi stack output --json wrote, naming the legal steps", async () => {
        const [, at5] = await walk("prod", [{ "slotshift:rollout.weight": 0 }, { "slotshift:rollout.weight": 5 }]);
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "slotshift-previous-"));
        const file = path.join(dir, "prod.json");
        fs.writeFileSync(file, JSON.stringify(aged(at5.outputs, 60)));
        // The stack file says 0 %; plan what an engineer who typed 50 would get, via a copy of the project.
        const project = fs.mkdtempSync(path.join(os.tmpdir(), "slotshift-project-"));
        for (const f of ["Pulumi.yaml", "Pulumi.staging.yaml"]) {
            fs.copyFileSync(path.join(__dirname, "..", f), path.join(project, f));
        }
        fs.writeFileSync(path.join(project, "Pulumi.prod.yaml"), fs.readFileSync(path.join(__dirname, "..", "Pulumi.prod.yaml"), "utf8").replace("    weight: 0", "    weight: 50"));
        fs.symlinkSync(path.join(__dirname, "..", "index.ts"), path.join(project, "index.ts"));
        const cwd = process.cwd();
        let stdout = "";
        let stderr = "";
        let code: number;
        try {
            process.chdir(project);
            code = await planMain(["--stack", "prod", "--json", "--previous", file], { write: (s: string) => (stdout += s) }, { write: (s: string) => (stderr += s) });
        } finally {
            process.chdir(cwd);
        }
        expect(code, stderr).to.equal(1);
        const doc = JSON.parse(stdout) as { error: { key: string; message: string }; resources: unknown[] };
        expect(doc.error.key).to.equal("slotshift:rollout.weight");
        expect(doc.error.message).to.contain("slotshift:rollout.weight is 50 but the previous update left green at 5 %; the next step is 25, or 0 to roll back; set slotshift:rollout.force to jump");
        expect(doc.resources).to.deep.equal([]);
    });
});
