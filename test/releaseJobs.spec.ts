/**
 * The release's Jobs (components/releaseJobs.ts) through the real program under Pulumi's mocks: the
 * expand migration per build, the contract migration, the pre-traffic and per-step hooks, and what
 * waits for what.
 */
import { createHash } from "crypto";
import { expect } from "chai";
import { MockMonitor } from "@pulumi/pulumi/runtime/mocks";
import { Job as JobModel } from "kubernetes-models/batch/v1/Job";
import { PlanResult, PlannedResource } from "../cli/engine";
import { diffPlans } from "../cli/planDiff";
import { SlotColour, parseStackConfig } from "../rollout/config";
import { buildOf } from "../rollout/state";
import { releaseJobPlan } from "../components/releaseJobs";
import { aged, edited, ofType, planStack, STACKS, walk } from "./helpers";

const JOB = "kubernetes:batch/v1:Job";
const DEPLOYMENT = "kubernetes:apps/v1:Deployment";
const SERVICE = "kubernetes:core/v1:Service";
const PDB = "kubernetes:policy/v1:PodDisruptionBudget";
const ENDPOINT = "azure-native:trafficmanager:Endpoint";
const ROUTE = "kubernetes:gateway.networking.k8s.io/v1:HTTPRoute";

const MIGRATIONS = { databaseSecret: { name: "nextgen-market-db" }, expand: { command: ["node", "migrate.js", "expand"] } };
const HOOKS = { preTraffic: { command: ["npm", "run", "smoke"] }, perStep: { command: ["npm", "run", "check"], timeoutMinutes: 5 } };
const CONTRACT = { databaseSecret: MIGRATIONS.databaseSecret, contract: { command: ["node", "migrate.js", "contract"], requires: "1.0.0" } };
/** Green as the prod stack file has it: 1.1.0, the build staging has live. */
const GREEN = { version: "1.1.0", gitSha: "e4f5a6b", buildNumber: 131 };

/** The 10 hex digits that name a slot's build, from its build string (rollout/state.ts's buildOf) in a config. */
const buildId = (config: Record<string, string>, colour: SlotColour) =>
    createHash("sha256")
        .update(buildOf(parseStackConfig(config, "prod"), colour)!)
        .digest("hex")
        .slice(0, 10);
const BLUE_BUILD = buildId(edited("prod", {}), "blue");
const GREEN_BUILD = buildId(edited("prod", { "slotshift:slots.green": GREEN }), "green");

interface JobSpec {
    backoffLimit: number;
    activeDeadlineSeconds: number;
    ttlSecondsAfterFinished?: number;
    template: {
        metadata: { labels: Record<string, string> };
        spec: {
            restartPolicy: string;
            imagePullSecrets?: { name: string }[];
            containers: { image: string; command: string[]; env: { name: string; value?: string; valueFrom?: unknown }[] }[];
        };
    };
}
const spec = (r: PlannedResource) => r.inputs.spec as JobSpec;
const metadata = (r: PlannedResource) => r.inputs.metadata as { name: string; labels: Record<string, string>; annotations: Record<string, string> };
const container = (r: PlannedResource) => spec(r).template.spec.containers[0];
const envOf = (r: PlannedResource) => Object.fromEntries(container(r).env.map((e) => [e.name, e.value ?? e.valueFrom]));
const jobs = (p: PlanResult) => ofType(p, JOB);
const jobNames = (p: PlanResult) => jobs(p).map((j) => j.name).sort();
const job = (p: PlanResult, suffix: string): PlannedResource => {
    const found = jobs(p).find((j) => j.name === `nextgen-market-prod-${suffix}`);
    expect(found, `Job ${suffix} in ${jobNames(p).join(", ")}`).to.not.equal(undefined);
    return found!;
};
const deployment = (p: PlanResult, colour: string) => ofType(p, DEPLOYMENT).find((d) => d.name === `nextgen-market-prod-${colour}-deployment`)!;
const deploymentImage = (p: PlanResult, colour: string) =>
    (deployment(p, colour).inputs.spec as { template: { spec: { containers: { image: string }[] } } }).template.spec.containers[0].image;
const endpoint = (p: PlanResult, colour: string) => ofType(p, ENDPOINT).find((e) => e.inputs.endpointName === colour)!;
const hooksIn = (names: readonly string[]) => names.filter((n) => n.includes("-hook-"));

/**
 * The Jobs that differ between two plans: a name that appears is a Job that runs, one that goes is
 * deleted, one whose inputs change is updated (for a Job: replaced, and so run again).
 */
function jobDelta(a: PlanResult, b: PlanResult): { added: string[]; removed: string[]; changed: string[] } {
    const before = new Map(jobs(a).map((j) => [j.name, JSON.stringify(j.inputs)]));
    const after = new Map(jobs(b).map((j) => [j.name, JSON.stringify(j.inputs)]));
    return {
        added: [...after.keys()].filter((k) => !before.has(k)).sort(),
        removed: [...before.keys()].filter((k) => !after.has(k)).sort(),
        changed: [...after.keys()].filter((k) => before.has(k) && before.get(k) !== after.get(k)).sort(),
    };
}

/** The options of each registration the mocks see (the plan records no options but dependsOn): by logical name. */
const options = new Map<string, { ignoreChanges: string[]; create?: string; update?: string }>();
type Register = (req: RegisterRequest, cb: (err: unknown, res: unknown) => void) => Promise<void>;
interface RegisterRequest {
    getName(): string;
    getIgnorechangesList(): string[];
    getCustomtimeouts(): { getCreate(): string; getUpdate(): string } | undefined;
}

/** Asserts a plan was accepted. */
function ok(p: PlanResult | undefined, what: string): PlanResult {
    expect(p, what).to.not.equal(undefined);
    expect(p!.ok, `${what}: ${p!.error?.message}`).to.equal(true);
    return p!;
}

describe("release Jobs", function () {
    this.timeout(300000);
    const register = MockMonitor.prototype.registerResource as unknown as Register;
    before(() => {
        // The engine binds the mock monitor's registerResource when a plan starts: recording here sees
        // every registration's options (ignoreChanges, customTimeouts) without touching the engine.
        (MockMonitor.prototype as unknown as { registerResource: Register }).registerResource = function (this: MockMonitor, req, cb) {
            const t = req.getCustomtimeouts();
            options.set(req.getName(), { ignoreChanges: req.getIgnorechangesList(), create: t?.getCreate(), update: t?.getUpdate() });
            return register.call(this, req, cb);
        };
    });
    after(() => {
        (MockMonitor.prototype as unknown as { registerResource: Register }).registerResource = register;
    });

    /**
     * A prod release with migrations and hooks on: stable on 1.0.0 (green empty), stage 1.1.0, each
     * step, the finalize and the decommission of the warm slot; then a rollback from 25 % and its retry.
     */
    const release: Record<string, PlanResult> = {};
    before(async () => {
        const on = { "slotshift:migrations": MIGRATIONS, "slotshift:hooks": HOOKS };
        const names = ["stable", "stage", "5", "25", "50", "100", "finalize", "decommission"];
        const plans = await walk("prod", [
            { ...on, "slotshift:slots.green": {} },
            { "slotshift:slots.green": GREEN, "slotshift:rollout.weight": 0 },
            { "slotshift:rollout.weight": 5 },
            { "slotshift:rollout.weight": 25 },
            { "slotshift:rollout.weight": 50 },
            { "slotshift:rollout.weight": 100 },
            { "slotshift:rollout.live": "green", "slotshift:rollout.weight": 0 },
            { "slotshift:slots.blue.decommissioned": true },
        ]);
        plans.forEach((p, i) => (release[names[i]] = ok(p, names[i])));
        release.rollback = ok(await planStack("prod", { config: edited("prod", { ...on, "slotshift:rollout.weight": 0 }), previous: aged(release["25"].outputs, 60) }), "rollback");
        const at = (release.rollback.outputs.rollout as { aborted: { at: string } }).aborted.at;
        release.retry = ok(
            await planStack("prod", { config: edited("prod", { ...on, "slotshift:rollout.weight": 5, "slotshift:rollout.retry": at }), previous: aged(release.rollback.outputs, 60) }),
            "retry",
        );
    });

    describe("the expand migration", () => {
        it("runs in the staged candidate's own image, with the database Secret, once (no retry), within its deadline, replaced when unready", () => {
            const stage = release.stage;
            const green = job(stage, `migrate-${GREEN_BUILD}`);
            expect(metadata(green).name).to.equal(`nextgen-market-migrate-${GREEN_BUILD}`);
            expect(container(green).image).to.equal(deploymentImage(stage, "green"));
            expect(container(green).command).to.deep.equal(["node", "migrate.js", "expand"]);
            // The build's, not a slot's: no SLOT (two slots may share it; which ones may change).
            expect(envOf(green)).to.deep.equal({
                APP_VERSION: "1.1.0",
                ENVIRONMENT: "prod",
                DATABASE_URL: { secretKeyRef: { name: "nextgen-market-db", key: "url" } },
            });
            expect(spec(green)).to.include({ backoffLimit: 0, activeDeadlineSeconds: 600 });
            expect(spec(green).ttlSecondsAfterFinished).to.equal(undefined);
            expect(spec(green).template.spec.restartPolicy).to.equal("Never");
            expect(metadata(green).annotations).to.deep.equal({ "pulumi.com/replaceUnready": "true" });
            expect(metadata(green).labels).to.deep.equal({ app: "nextgen-market", "release-job": "expand" });
            // A pod evicted by a drain is not a failed migration.
            expect(spec(green)).to.deep.include({ podFailurePolicy: { rules: [{ action: "Ignore", onPodConditions: [{ type: "DisruptionTarget", status: "True" }] }] } });
            expect(options.get(green.name)).to.deep.include({ create: "12m", update: "12m" });
            expect(green.parent).to.equal("nextgen-market-prod");
            expect(green.provider).to.equal("nextgen-market-prod-cluster");
        });

        it("holds back the candidate's Deployment, and only it, until it has run", () => {
            const stage = release.stage;
            expect(deployment(stage, "green").dependsOn).to.include(`nextgen-market-prod-migrate-${GREEN_BUILD}`);
            expect(deployment(stage, "green").dependsOn).not.to.include(`nextgen-market-prod-migrate-${BLUE_BUILD}`);
            expect(deployment(stage, "blue").dependsOn).to.include(`nextgen-market-prod-migrate-${BLUE_BUILD}`);
            // Nothing else waits for a migration: the Services, the router.
            for (const r of stage.resources.filter((x) => x.type !== DEPLOYMENT)) {
                expect(r.dependsOn.filter((d) => d.includes("-migrate-")), r.name).to.deep.equal([]);
            }
        });

        it("runs for every build of a first deploy, and is recorded in the rollout output's expanded", () => {
            expect(jobNames(release.stable)).to.deep.equal([`nextgen-market-prod-migrate-${BLUE_BUILD}`]);
            expect((release.stable.outputs.rollout as { expanded: string[] }).expanded).to.deep.equal([BLUE_BUILD]);
            expect((release.stage.outputs.rollout as { expanded: string[] }).expanded).to.deep.equal([BLUE_BUILD, GREEN_BUILD].sort());
        });

        it("does not run for a build already live when migrations are first declared: only for the next build staged", async () => {
            const [before] = await walk("prod", [{ "slotshift:slots.green": {} }]);
            const [declared, staged] = await walk("prod", [{ "slotshift:migrations": MIGRATIONS }, { "slotshift:slots.green": GREEN }], {
                base: edited("prod", { "slotshift:slots.green": {} }),
                previous: ok(before, "stable without migrations").outputs,
            });
            expect(jobNames(ok(declared, "migrations declared"))).to.deep.equal([]);
            expect((declared.outputs.rollout as { expanded: string[] }).expanded).to.deep.equal([]);
            expect(jobNames(ok(staged, "1.1.0 staged"))).to.deep.equal([`nextgen-market-prod-migrate-${GREEN_BUILD}`]);
            expect(deployment(staged, "blue").dependsOn.filter((d) => d.includes("-migrate-"))).to.deep.equal([]);
        });

        it("is run by no step, rollback, retry or finalize: the expand Jobs keep their names and inputs", () => {
            const expands = (p: PlanResult) => new Map(jobs(p).filter((j) => j.name.includes("-migrate-")).map((j) => [j.name, JSON.stringify(j.inputs)]));
            const walkOrder = ["stage", "5", "25", "50", "100", "finalize"];
            for (let i = 1; i < walkOrder.length; i++) {
                expect(expands(release[walkOrder[i]]), `${walkOrder[i - 1]} -> ${walkOrder[i]}`).to.deep.equal(expands(release[walkOrder[i - 1]]));
            }
            expect(expands(release.rollback), "25 -> rollback").to.deep.equal(expands(release["25"]));
            expect(expands(release.retry), "rollback -> retry").to.deep.equal(expands(release.rollback));
            expect([...expands(release.finalize).keys()].sort()).to.deep.equal([`nextgen-market-prod-migrate-${BLUE_BUILD}`, `nextgen-market-prod-migrate-${GREEN_BUILD}`].sort());
        });

        it("goes with its build: the decommission of the warm slot deletes its Job, and its Deployment waits for nothing", () => {
            expect(jobDelta(release.finalize, release.decommission)).to.deep.equal({ added: [], removed: [`nextgen-market-prod-migrate-${BLUE_BUILD}`], changed: [] });
            expect(deployment(release.decommission, "blue").dependsOn.filter((d) => d.includes("-migrate-"))).to.deep.equal([]);
        });

        it("runs again for a new build, under a new name, and the replaced build's Job goes", async () => {
            const rebuilt = { ...GREEN, buildNumber: 132 };
            const [restaged] = await walk("prod", [{ "slotshift:slots.green": rebuilt, "slotshift:rollout.allowDowngrade": true }], {
                base: edited("prod", { "slotshift:migrations": MIGRATIONS, "slotshift:hooks": HOOKS }),
                previous: release.rollback.outputs,
            });
            ok(restaged, "a new build of green at 0 %");
            const fresh = `nextgen-market-prod-migrate-${buildId(edited("prod", { "slotshift:slots.green": rebuilt }), "green")}`;
            expect(jobDelta(release.rollback, restaged)).to.deep.equal({ added: [fresh], removed: [`nextgen-market-prod-migrate-${GREEN_BUILD}`], changed: [] });
            expect(deployment(restaged, "green").dependsOn).to.include(fresh);
        });

        it("gives the Job the registry's pull Secret when the slots have one", async () => {
            const p = ok(
                await planStack("prod", {
                    config: edited("prod", { "slotshift:migrations": MIGRATIONS, "slotshift:app.registry": { username: "bot", password: "pw" } }),
                    secretKeys: ["slotshift:app"],
                }),
                "a private registry",
            );
            for (const j of jobs(p)) {
                expect(spec(j).template.spec.imagePullSecrets).to.deep.equal([{ name: "nextgen-market-registry" }]);
            }
            expect(jobs(p)).to.have.length(2);
        });

        it("runs for the one slot of strategy direct, and no hook runs there", async () => {
            const dev = ok(await planStack("dev", { config: edited("dev", { "slotshift:migrations": MIGRATIONS, "slotshift:hooks": HOOKS }) }), "dev");
            expect(jobs(dev).map((j) => (j.inputs.metadata as { labels: Record<string, string> }).labels["release-job"])).to.deep.equal(["expand"]);
            expect(ofType(dev, DEPLOYMENT)[0].dependsOn).to.include(jobs(dev)[0].name);
        });
    });

    describe("the hooks", () => {
        it("are not registered at 0 %: staged, stable, rolled back, finalized", () => {
            for (const at of ["stable", "stage", "rollback", "finalize", "decommission"]) {
                expect(hooksIn(jobNames(release[at])), at).to.deep.equal([]);
            }
        });

        it("at 5 %: pre-traffic and per-step Jobs test the candidate's Service in its image, after its Deployment", () => {
            const at5 = release["5"];
            const pre = job(at5, `hook-pre-${GREEN_BUILD}`);
            const step = job(at5, `hook-step-5-${GREEN_BUILD}`);
            const target = "http://nextgen-market-green.nextgen-market-prod.svc.cluster.local:80";
            expect(envOf(pre)).to.deep.equal({ SLOT: "green", APP_VERSION: "1.1.0", ENVIRONMENT: "prod", TARGET_URL: target, SLOTSHIFT_HOOK: "pre-traffic", HOME: "/tmp" });
            expect(envOf(step)).to.deep.equal({ SLOT: "green", APP_VERSION: "1.1.0", ENVIRONMENT: "prod", TARGET_URL: target, SLOTSHIFT_HOOK: "per-step", HOME: "/tmp", SLOTSHIFT_WEIGHT: "5" });
            for (const h of [pre, step]) {
                expect(container(h).image).to.equal(deploymentImage(at5, "green"));
                expect(spec(h)).to.include({ backoffLimit: 0 });
                expect(spec(h).template.spec.restartPolicy).to.equal("Never");
                expect(metadata(h).annotations).to.deep.equal({ "pulumi.com/replaceUnready": "true" });
                expect(h.dependsOn).to.include("nextgen-market-prod-green-deployment");
                expect(h.dependsOn).not.to.include("nextgen-market-prod-blue-deployment");
            }
            expect(spec(pre).activeDeadlineSeconds).to.equal(600);
            expect(spec(step).activeDeadlineSeconds).to.equal(300);
            expect(options.get(step.name)).to.deep.include({ create: "7m", update: "7m" });
            expect(container(pre).command).to.deep.equal(["npm", "run", "smoke"]);
        });

        it("hold the routing of a step up: the candidate's endpoint waits for them, and the live one for it", () => {
            const at5 = release["5"];
            expect(endpoint(at5, "green").dependsOn).to.include.members([`nextgen-market-prod-hook-pre-${GREEN_BUILD}`, `nextgen-market-prod-hook-step-5-${GREEN_BUILD}`]);
            expect(endpoint(at5, "blue").dependsOn).to.include("nextgen-market-prod-traffic-green");
            const at25 = release["25"];
            expect(hooksIn(endpoint(at25, "green").dependsOn).sort()).to.deep.equal([`nextgen-market-prod-hook-pre-${GREEN_BUILD}`, `nextgen-market-prod-hook-step-25-${GREEN_BUILD}`]);
        });

        it("pre-traffic runs once while the weight is above 0; each step runs its own per-step Job", () => {
            expect(jobDelta(release.stage, release["5"])).to.deep.equal({
                added: [`nextgen-market-prod-hook-pre-${GREEN_BUILD}`, `nextgen-market-prod-hook-step-5-${GREEN_BUILD}`],
                removed: [],
                changed: [],
            });
            expect(jobDelta(release["5"], release["25"])).to.deep.equal({
                added: [`nextgen-market-prod-hook-step-25-${GREEN_BUILD}`],
                removed: [`nextgen-market-prod-hook-step-5-${GREEN_BUILD}`],
                changed: [],
            });
            expect(jobDelta(release["50"], release["100"]).added).to.deep.equal([`nextgen-market-prod-hook-step-100-${GREEN_BUILD}`]);
            expect(jobDelta(release["100"], release.finalize)).to.deep.equal({
                added: [],
                removed: [`nextgen-market-prod-hook-pre-${GREEN_BUILD}`, `nextgen-market-prod-hook-step-100-${GREEN_BUILD}`],
                changed: [],
            });
        });

        it("a rollback neither waits for nor depends on a hook, and deletes them; its retry runs pre-traffic again", () => {
            const back = release.rollback;
            for (const r of back.resources) {
                expect(hooksIn(r.dependsOn), r.name).to.deep.equal([]);
            }
            expect(jobDelta(release["25"], back).removed).to.deep.equal([`nextgen-market-prod-hook-pre-${GREEN_BUILD}`, `nextgen-market-prod-hook-step-25-${GREEN_BUILD}`]);
            expect(jobDelta(back, release.retry)).to.deep.equal({
                added: [`nextgen-market-prod-hook-pre-${GREEN_BUILD}`, `nextgen-market-prod-hook-step-5-${GREEN_BUILD}`],
                removed: [],
                changed: [],
            });
            expect(endpoint(release.retry, "green").dependsOn).to.include(`nextgen-market-prod-hook-pre-${GREEN_BUILD}`);
        });

        it("an update that does not raise the candidate (the same weight again) keeps its hooks and does not wait for them", async () => {
            const [again] = await walk("prod", [{}], {
                base: edited("prod", { "slotshift:migrations": MIGRATIONS, "slotshift:hooks": HOOKS, "slotshift:rollout.weight": 25 }),
                previous: release["25"].outputs,
            });
            ok(again, "25 % again");
            expect(jobDelta(release["25"], again)).to.deep.equal({ added: [], removed: [], changed: [] });
            for (const r of again.resources.filter((x) => x.type !== JOB)) {
                expect(hooksIn(r.dependsOn), r.name).to.deep.equal([]);
            }
        });

        it("a step back does not wait for its per-step hook", async () => {
            const [back] = await walk("prod", [{ "slotshift:rollout.weight": 25 }], {
                base: edited("prod", { "slotshift:migrations": MIGRATIONS, "slotshift:hooks": HOOKS, "slotshift:rollout.weight": 50 }),
                previous: release["50"].outputs,
            });
            ok(back, "50 -> 25 %");
            expect((back.outputs.rollout as { transition: string }).transition).to.equal("step-back");
            expect(jobNames(back)).to.include(`nextgen-market-prod-hook-step-25-${GREEN_BUILD}`);
            for (const r of back.resources.filter((x) => x.type !== JOB)) {
                expect(hooksIn(r.dependsOn), r.name).to.deep.equal([]);
            }
        });

        it("hold the Gateway API route of a step up, and run an image of their own when given one", async () => {
            const image = "ghcr.io/nextgen-market/e2e:2.0.0";
            const plans = await walk("prod", [
                { "slotshift:traffic.router": "gateway-api", "slotshift:hooks": { perStep: { command: ["./e2e"], image } }, "slotshift:rollout.weight": 0 },
                { "slotshift:rollout.weight": 5 },
            ]);
            const at5 = ok(plans[1], "gateway-api at 5 %");
            const step = job(at5, `hook-step-5-${GREEN_BUILD}`);
            expect(container(step).image).to.equal(image);
            expect(ofType(at5, ROUTE)[0].dependsOn).to.include(step.name);
            expect(jobNames(at5)).to.deep.equal([step.name]);
        });
    });

    // The offline engine fails the named resource as the provider would fail a Job that failed; the
    // resources that wait on it are then never registered (cli/engine.ts bounds the run).
    describe("a failed Job", () => {
        const on = { "slotshift:migrations": MIGRATIONS, "slotshift:hooks": HOOKS };

        it("fails the staging of a build before its Deployment changes, and records nothing", async () => {
            const p = await planStack("prod", {
                config: edited("prod", { ...on, "slotshift:slots.green": GREEN, "slotshift:rollout.weight": 0 }),
                previous: aged(release.stable.outputs, 60),
                failing: [`nextgen-market-prod-migrate-${GREEN_BUILD}`],
            });
            expect(p.ok).to.equal(false);
            expect(p.error?.message).to.contain(`migrate-${GREEN_BUILD}`);
            // The engine records a registration when it is sent: a resource waiting on the failed Job never is.
            expect(p.resources.map((r) => r.name)).not.to.include("nextgen-market-prod-green-deployment");
            expect(p.resources.map((r) => r.name)).to.include("nextgen-market-prod-blue-deployment");
            expect(p.outputs).to.deep.equal({});
        });

        for (const hook of ["pre", "step-5"]) {
            it(`fails a step up with the routing unchanged when the ${hook} hook fails, and records nothing`, async () => {
                const p = await planStack("prod", {
                    config: edited("prod", { ...on, "slotshift:rollout.weight": 5 }),
                    previous: aged(release.stage.outputs, 60),
                    failing: [`nextgen-market-prod-hook-${hook}-${GREEN_BUILD}`],
                });
                expect(p.ok).to.equal(false);
                expect(ofType(p, ENDPOINT)).to.deep.equal([]);
                expect(p.outputs).to.deep.equal({});
            });
        }
    });

    describe("the contract migration", () => {
        it("runs once per contract in the live image, after every Deployment, and a finalize does not run it again", async () => {
            const plans = await walk("prod", [
                { "slotshift:migrations": CONTRACT, "slotshift:rollout.weight": 0 },
                { "slotshift:rollout.weight": 5 },
                { "slotshift:rollout.weight": 25 },
                { "slotshift:rollout.weight": 50 },
                { "slotshift:rollout.weight": 100 },
                { "slotshift:rollout.live": "green", "slotshift:rollout.weight": 0 },
            ]);
            plans.forEach((p, i) => ok(p, `update ${i}`));
            const id = createHash("sha256")
                .update(JSON.stringify({ command: CONTRACT.contract.command, requires: "1.0.0" }))
                .digest("hex")
                .slice(0, 10);
            const staged = plans[0];
            const contract = job(staged, `contract-${id}`);
            expect(metadata(contract).name).to.equal(`nextgen-market-contract-${id}`);
            expect(metadata(contract).labels).to.deep.equal({ app: "nextgen-market", "release-job": "contract" });
            expect(container(contract).image).to.equal(deploymentImage(staged, "blue"));
            expect(envOf(contract)).to.deep.include({ SLOT: "blue", APP_VERSION: "1.0.0", DATABASE_URL: { secretKeyRef: { name: "nextgen-market-db", key: "url" } } });
            expect(contract.dependsOn).to.include.members(["nextgen-market-prod-blue-deployment", "nextgen-market-prod-green-deployment"]);
            expect(spec(contract)).to.include({ backoffLimit: 0, activeDeadlineSeconds: 600 });
            // ignoreChanges is an option, not an input: the plan does not record it; the mocks' request carries it.
            expect(options.get(contract.name)).to.deep.equal({ ignoreChanges: ["spec"], create: "12m", update: "12m" });
            // Steps change nothing of it; the finalize changes only its spec (the live image), which Pulumi ignores.
            for (let i = 1; i < plans.length - 1; i++) {
                expect(jobDelta(plans[i - 1], plans[i]).changed, `update ${i}`).to.deep.equal([]);
            }
            const finalized = job(plans[plans.length - 1], `contract-${id}`);
            expect(finalized.inputs.metadata).to.deep.equal(contract.inputs.metadata);
            expect(container(finalized).image).to.equal(deploymentImage(staged, "green"));
            // An expand Job is not part of a contract-only config.
            expect(jobNames(staged)).to.deep.equal([contract.name]);
        });

        it("is a new Job when its command or requires changes", () => {
            const plan = (requires: string) =>
                releaseJobPlan(
                    parseStackConfig(edited("prod", { "slotshift:migrations": { ...CONTRACT, contract: { ...CONTRACT.contract, requires } } }), "prod"),
                    null,
                ).jobs.map((j) => j.jobName);
            expect(plan("1.0.0")).to.not.deep.equal(plan("0.9.0"));
        });
    });

    describe("every release Job", () => {
        it("validates against the upstream schema, runs as the slots do (non-root, read-only), and is never selected by a slot's Service or PDB", async () => {
            const p = ok(
                await planStack("prod", {
                    config: edited("prod", { "slotshift:migrations": { ...CONTRACT, ...MIGRATIONS }, "slotshift:hooks": HOOKS, "slotshift:rollout.weight": 5 }),
                    previous: aged(release.stage.outputs, 60),
                }),
                "everything at 5 %",
            );
            expect(jobs(p).map((j) => metadata(j).labels["release-job"]).sort()).to.deep.equal(["contract", "expand", "expand", "per-step", "pre-traffic"]);
            const selectors = [...ofType(p, SERVICE).map((s) => (s.inputs.spec as { selector: Record<string, string> }).selector), ...ofType(p, PDB).map((s) => (s.inputs.spec as { selector: { matchLabels: Record<string, string> } }).selector.matchLabels)];
            for (const j of jobs(p)) {
                expect(() => new JobModel(j.inputs as never).validate(), j.name).to.not.throw();
                const pod = spec(j).template.spec as unknown as { securityContext: Record<string, unknown>; automountServiceAccountToken: boolean; containers: { securityContext: Record<string, unknown> }[] };
                expect(pod.securityContext).to.include({ runAsNonRoot: true });
                expect(pod.automountServiceAccountToken).to.equal(false);
                expect(pod.containers[0].securityContext).to.include({ readOnlyRootFilesystem: true, allowPrivilegeEscalation: false });
                const labels = spec(j).template.metadata.labels;
                for (const selector of selectors) {
                    expect(Object.entries(selector).every(([k, v]) => labels[k] === v), `${j.name} selected by ${JSON.stringify(selector)}`).to.equal(false);
                }
            }
        });

        it("has a name Kubernetes takes, or the update is refused naming it", () => {
            const cfg = (weight: number) =>
                parseStackConfig(edited("prod", { "slotshift:app.name": "a".repeat(38), "slotshift:hooks": HOOKS, "slotshift:rollout.weight": weight }), "prod");
            expect(releaseJobPlan(cfg(100), "green").jobs.map((j) => j.jobName.length)).to.deep.equal([58, 63]);
            // One character more is refused by the config, before anything is registered (rollout/names.ts).
            expect(() => parseStackConfig(edited("prod", { "slotshift:app.name": "a".repeat(39), "slotshift:hooks": HOOKS, "slotshift:rollout.weight": 100 }), "prod")).to.throw(
                /slotshift:app\.name is "a{39}"; allowed: a name that makes the per-step hook \(at 100 %\) Job valid: it would be "a{39}-hook-step-100-0123456789" \(64 characters\)/,
            );
        });
    });

    describe("a stack without slotshift:migrations and slotshift:hooks", () => {
        for (const stack of STACKS) {
            it(`registers no Job in ${stack}, and its Deployments wait for none`, async () => {
                const p = ok(await planStack(stack), stack);
                expect(jobs(p)).to.deep.equal([]);
                for (const d of ofType(p, DEPLOYMENT)) {
                    expect(d.dependsOn.filter((x) => x.includes("-migrate-"))).to.deep.equal([]);
                }
            });
        }

        it("plans a step as before: a walk with migrations and hooks differs from one without only by Jobs and what waits for them", async () => {
            const plain = await walk("prod", [{ "slotshift:rollout.weight": 0 }, { "slotshift:rollout.weight": 5 }]);
            const d = diffPlans(ok(plain[1], "plain at 5 %"), release["5"]);
            expect(d.changed.filter((k) => !k.startsWith(`${JOB}::`))).to.deep.equal([]);
        });
    });
});
