/**
 * slotshift:capacity and slotshift:app.autoscale as the program renders them (issue 19): each slot's
 * pods from the decision, an autoscaler per running slot, the disruption budget, spread and the
 * slots kept apart; and a rollback that still changes only routing.
 */
import { expect } from "chai";
import { Deployment } from "kubernetes-models/apps/v1/Deployment";
import { HorizontalPodAutoscaler } from "kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler";
import { PodDisruptionBudget } from "kubernetes-models/policy/v1/PodDisruptionBudget";
import { PlanResult, PlannedResource } from "../cli/engine";
import { diffPlans } from "../cli/planDiff";
import { RolloutState } from "../rollout/state";
import { edited, ofType, planStack, stackConfig, walk } from "./helpers";

const DEPLOYMENT = "kubernetes:apps/v1:Deployment";
const HPA = "kubernetes:autoscaling/v2:HorizontalPodAutoscaler";
const PDB = "kubernetes:policy/v1:PodDisruptionBudget";
const ENDPOINT = "azure-native:trafficmanager:Endpoint";
const COLOURS = ["blue", "green"] as const;
type Colour = (typeof COLOURS)[number];

interface DeploymentSpec {
    replicas?: number;
    template: {
        metadata: { annotations?: Record<string, string> };
        spec: {
            topologySpreadConstraints?: Record<string, unknown>[];
            affinity?: { podAntiAffinity?: Record<string, unknown> };
            containers: { resources: { requests: { cpu?: string } } }[];
        };
    };
}

function ok(result: PlanResult): PlanResult {
    expect(result.ok, JSON.stringify(result.error)).to.equal(true);
    return result;
}

function deployment(result: PlanResult, colour: Colour): PlannedResource {
    const d = ofType(result, DEPLOYMENT).find((r) => (r.inputs.metadata as { name: string }).name.endsWith(`-${colour}`));
    expect(d, `${colour} Deployment`).to.not.equal(undefined);
    return d!;
}

const specOf = (result: PlanResult, colour: Colour) => deployment(result, colour).inputs.spec as DeploymentSpec;

function hpa(result: PlanResult, colour: Colour): PlannedResource | undefined {
    return ofType(result, HPA).find((r) => (r.inputs.metadata as { name: string }).name.endsWith(`-${colour}`));
}

const rolloutOf = (result: PlanResult) => result.outputs.rollout as RolloutState;

/** The pods each Deployment runs, as the plan registers them. */
const podsOf = (result: PlanResult) => ({ blue: specOf(result, "blue").replicas, green: specOf(result, "green").replicas });

/** A prod release, green the candidate: stage, 5, 25, 50, 100, finalize, decommission of blue (after its warm hold). */
const RELEASE: readonly Record<string, unknown>[] = [
    { "slotshift:rollout.weight": 0 },
    { "slotshift:rollout.weight": 5 },
    { "slotshift:rollout.weight": 25 },
    { "slotshift:rollout.weight": 50 },
    { "slotshift:rollout.weight": 100 },
    { "slotshift:rollout.live": "green", "slotshift:rollout.weight": 0 },
    { "slotshift:slots.blue.decommissioned": true },
];

const AUTOSCALE = { min: 2, max: 10, cpuPercent: 70 };

describe("capacity (slotshift:capacity, slotshift:app.autoscale)", () => {
    describe("a prod release with the default capacity (proportional, headroom 25 %)", () => {
        let plans: PlanResult[];
        before(async () => {
            plans = await walk("prod", RELEASE);
            plans.forEach(ok);
            expect(plans).to.have.length(RELEASE.length);
        });

        it("runs each Deployment at the decision's replicas, update by update", () => {
            for (const p of plans) {
                expect(podsOf(p)).to.deep.equal(rolloutOf(p).replicas);
            }
        });

        it("sizes the candidate to its share (1, 1, 1, 2, then 3 at 100 %) while the live slot stays at 3", () => {
            expect(plans.slice(0, 5).map((p) => specOf(p, "green").replicas)).to.deep.equal([1, 1, 1, 2, 3]);
            expect(plans.slice(0, 5).map((p) => specOf(p, "blue").replicas)).to.deep.equal([3, 3, 3, 3, 3]);
        });

        it("keeps both full after the finalize (green live, blue warm) and scales blue to 0 when decommissioned", () => {
            expect(podsOf(plans[5])).to.deep.equal({ blue: 3, green: 3 });
            expect(podsOf(plans[6])).to.deep.equal({ blue: 0, green: 3 });
        });

        it("registers no autoscaler without slotshift:app.autoscale", () => {
            for (const p of plans) {
                expect(ofType(p, HPA)).to.deep.equal([]);
            }
        });

        it("lets the router wait for the candidate's Deployment on every step that raises it", () => {
            for (const p of plans.slice(1, 5)) {
                const green = ofType(p, ENDPOINT).find((e) => e.inputs.endpointName === "green")!;
                expect(green.dependsOn).to.include(deployment(p, "green").name);
            }
        });
    });

    it("runs the candidate at app.replicas throughout with canaryScale full", async () => {
        const base = edited("prod", { "slotshift:capacity": { canaryScale: "full" } });
        const plans = (await walk("prod", RELEASE.slice(0, 5), { base })).map(ok);
        expect(plans.map((p) => podsOf(p))).to.deep.equal(plans.map(() => ({ blue: 3, green: 3 })));
        expect(plans.map((p) => rolloutOf(p).replicas.green)).to.deep.equal([3, 3, 3, 3, 3]);
    });

    it("runs staging's blue-green candidate full, staged and switched", async () => {
        const plans = (await walk("staging", [{ "slotshift:rollout.weight": 0 }, { "slotshift:rollout.weight": 100 }])).map(ok);
        for (const p of plans) {
            expect(podsOf(p)).to.deep.equal({ blue: 2, green: 2 });
            expect(rolloutOf(p).replicas).to.deep.equal({ blue: 2, green: 2 });
        }
    });

    describe("spread and slots apart", () => {
        const spreadOf = (p: PlanResult, c: Colour) => specOf(p, c).template.spec.topologySpreadConstraints;
        const antiOf = (p: PlanResult, c: Colour) => specOf(p, c).template.spec.affinity?.podAntiAffinity;

        it("spreads each slot's pods over zones and nodes, softly by default, per ReplicaSet", async () => {
            const p = ok(await planStack("prod"));
            for (const c of COLOURS) {
                expect(spreadOf(p, c)).to.deep.equal(
                    ["topology.kubernetes.io/zone", "kubernetes.io/hostname"].map((topologyKey) => ({
                        maxSkew: 1,
                        topologyKey,
                        whenUnsatisfiable: "ScheduleAnyway",
                        labelSelector: { matchLabels: { app: "nextgen-market", slot: c } },
                        matchLabelKeys: ["pod-template-hash"],
                    })),
                );
            }
        });

        it("keeps the slots off each other's nodes, preferred by default", async () => {
            const p = ok(await planStack("prod"));
            expect(antiOf(p, "green")).to.deep.equal({
                preferredDuringSchedulingIgnoredDuringExecution: [
                    { weight: 100, podAffinityTerm: { labelSelector: { matchLabels: { app: "nextgen-market", slot: "blue" } }, topologyKey: "kubernetes.io/hostname" } },
                ],
            });
            expect(antiOf(p, "blue")).to.deep.equal({
                preferredDuringSchedulingIgnoredDuringExecution: [
                    { weight: 100, podAffinityTerm: { labelSelector: { matchLabels: { app: "nextgen-market", slot: "green" } }, topologyKey: "kubernetes.io/hostname" } },
                ],
            });
        });

        it("makes both hard with spread and slotsApart hard", async () => {
            const p = ok(await planStack("prod", { config: edited("prod", { "slotshift:capacity": { spread: "hard", slotsApart: "hard" } }) }));
            for (const c of COLOURS) {
                expect(spreadOf(p, c)!.map((s) => s.whenUnsatisfiable)).to.deep.equal(["DoNotSchedule", "DoNotSchedule"]);
            }
            expect(antiOf(p, "green")).to.deep.equal({
                requiredDuringSchedulingIgnoredDuringExecution: [{ labelSelector: { matchLabels: { app: "nextgen-market", slot: "blue" } }, topologyKey: "kubernetes.io/hostname" }],
            });
        });

        it("sets no affinity with slotsApart off, nor with strategy direct (one slot)", async () => {
            const off = ok(await planStack("prod", { config: edited("prod", { "slotshift:capacity": { slotsApart: "off" } }) }));
            for (const c of COLOURS) {
                expect(specOf(off, c).template.spec.affinity).to.equal(undefined);
                expect(spreadOf(off, c)).to.have.length(2);
            }
            const dev = ok(await planStack("dev"));
            for (const d of ofType(dev, DEPLOYMENT)) {
                expect((d.inputs.spec as DeploymentSpec).template.spec.affinity).to.equal(undefined);
            }
        });

        it("renders Deployments the Kubernetes schema accepts, in every mode", async () => {
            for (const capacity of [{}, { spread: "hard", slotsApart: "hard" }, { slotsApart: "off" }]) {
                const p = ok(await planStack("prod", { config: edited("prod", { "slotshift:capacity": capacity }) }));
                for (const d of ofType(p, DEPLOYMENT)) {
                    expect(() => new Deployment(d.inputs as never).validate()).to.not.throw();
                }
            }
        });
    });

    describe("the disruption budget", () => {
        it("allows one pod away, and evicting pods that are not ready, for every slot", async () => {
            const p = ok(await planStack("prod"));
            const pdbs = ofType(p, PDB);
            expect(pdbs).to.have.length(2);
            for (const b of pdbs) {
                expect(b.inputs.spec).to.deep.include({ maxUnavailable: 1, unhealthyPodEvictionPolicy: "AlwaysAllow" });
                expect(b.inputs.spec).to.not.have.property("minAvailable");
                expect(() => new PodDisruptionBudget(b.inputs as never).validate()).to.not.throw();
            }
        });
    });

    describe("autoscaling (slotshift:app.autoscale)", () => {
        let plans: PlanResult[];
        before(async () => {
            const base = edited("prod", { "slotshift:app.autoscale": AUTOSCALE });
            plans = (await walk("prod", RELEASE, { base })).map(ok);
        });

        it("registers one HorizontalPodAutoscaler per running slot, its minimum the decision's replicas", () => {
            for (const p of plans) {
                const replicas = rolloutOf(p).replicas;
                for (const c of COLOURS) {
                    const h = hpa(p, c);
                    if (replicas[c] === 0) {
                        expect(h, `${c} at 0`).to.equal(undefined);
                        continue;
                    }
                    expect(h, `${c} running`).to.not.equal(undefined);
                    expect(h!.inputs.spec).to.deep.equal({
                        scaleTargetRef: { apiVersion: "apps/v1", kind: "Deployment", name: `nextgen-market-${c}` },
                        minReplicas: replicas[c],
                        maxReplicas: Math.max(AUTOSCALE.max, replicas[c]),
                        metrics: [{ type: "Resource", resource: { name: "cpu", target: { type: "Utilization", averageUtilization: 70 } } }],
                    });
                    expect(() => new HorizontalPodAutoscaler(h!.inputs as never).validate()).to.not.throw();
                }
            }
        });

        it("raises a proportional candidate's floor to autoscale.min (2, 2, 2, 2, 3)", () => {
            expect(plans.slice(0, 5).map((p) => (hpa(p, "green")!.inputs.spec as { minReplicas: number }).minReplicas)).to.deep.equal([2, 2, 2, 2, 3]);
        });

        it("leaves spec.replicas to the autoscaler, and sets 0 (forced) for a slot that no longer runs", () => {
            for (const p of plans) {
                const replicas = rolloutOf(p).replicas;
                for (const c of COLOURS) {
                    const d = deployment(p, c);
                    const annotations = (d.inputs.metadata as { annotations: Record<string, string> }).annotations;
                    if (replicas[c] === 0) {
                        expect((d.inputs.spec as DeploymentSpec).replicas).to.equal(0);
                        expect(annotations["pulumi.com/patchForce"]).to.equal("true");
                    } else {
                        expect(d.inputs.spec).to.not.have.property("replicas");
                        expect(annotations).to.not.have.property("pulumi.com/patchForce");
                    }
                    // Never on the pod template: that would roll the pods.
                    expect((d.inputs.spec as DeploymentSpec).template.metadata.annotations ?? {}).to.not.have.property("pulumi.com/patchForce");
                }
            }
            expect(hpa(plans[6], "blue")).to.equal(undefined);
            expect(specOf(plans[6], "blue").replicas).to.equal(0);
        });

        it("measures utilization against CPU requests the containers set", () => {
            for (const c of COLOURS) {
                expect(specOf(plans[0], c).template.spec.containers[0].resources.requests.cpu).to.be.a("string").and.not.equal("");
            }
        });

        it("lets routing wait for the candidate's Deployment and its autoscaler", () => {
            for (const p of plans.slice(1, 5)) {
                const green = ofType(p, ENDPOINT).find((e) => e.inputs.endpointName === "green")!;
                expect(green.dependsOn).to.include.members([deployment(p, "green").name, hpa(p, "green")!.name]);
            }
        });

        it("raises maxReplicas to the floor when autoscale.max is below it", async () => {
            const p = ok(await planStack("prod", { config: edited("prod", { "slotshift:app.autoscale": { min: 1, max: 2, cpuPercent: 50 } }) }));
            expect((hpa(p, "blue")!.inputs.spec as { minReplicas: number; maxReplicas: number })).to.deep.include({ minReplicas: 3, maxReplicas: 3 });
        });
    });

    describe("a rollback changes only routing", () => {
        const rollbackFrom = async (weight: number, base: Record<string, string>) => {
            const steps = RELEASE.slice(0, 1 + [5, 25, 50, 100].indexOf(weight) + 1);
            const plans = (await walk("prod", [...steps, { "slotshift:rollout.weight": 0 }], { base })).map(ok);
            return { before: plans[plans.length - 2], after: plans[plans.length - 1] };
        };

        for (const [label, base] of [
            ["proportional capacity", () => stackConfig("prod").config],
            ["full capacity", () => edited("prod", { "slotshift:capacity": { canaryScale: "full" } })],
            ["proportional capacity and an autoscaler", () => edited("prod", { "slotshift:app.autoscale": AUTOSCALE })],
        ] as const) {
            for (const weight of [5, 50, 100]) {
                it(`from ${weight} % with ${label}: the candidate keeps its pods`, async () => {
                    const { before, after } = await rollbackFrom(weight, base());
                    expect(rolloutOf(after).weights.green).to.equal(0);
                    expect(rolloutOf(after).replicas).to.deep.equal(rolloutOf(before).replicas);
                    expect(diffPlans(before, after).nonRouting).to.deep.equal([]);
                });
            }
        }
    });
});
