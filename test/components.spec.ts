import { expect } from "chai";
import { Deployment } from "kubernetes-models/apps/v1/Deployment";
import { Namespace } from "kubernetes-models/v1/Namespace";
import { Secret } from "kubernetes-models/v1/Secret";
import { Service } from "kubernetes-models/v1/Service";
import { PodDisruptionBudget } from "kubernetes-models/policy/v1/PodDisruptionBudget";
import { HTTPRoute } from "@kubernetes-models/gateway-api/gateway.networking.k8s.io/v1/HTTPRoute";
import { PlanResult, PlannedResource } from "../cli/engine";
import { ROUTING_TYPES, diffPlans } from "../cli/planDiff";
import { trafficManagerWeights, labelValue } from "../rollout/routing";
import { edited, ofType, planStack, prodAt, STACKS } from "./helpers";

const ENDPOINT = "azure-native:trafficmanager:Endpoint";
const PROFILE = "azure-native:trafficmanager:Profile";
const DEPLOYMENT = "kubernetes:apps/v1:Deployment";
const ROUTE = "kubernetes:gateway.networking.k8s.io/v1:HTTPRoute";


function endpoint(result: PlanResult, colour: string): PlannedResource {
    const e = ofType(result, ENDPOINT).find((r) => r.inputs.endpointName === colour);
    expect(e, `endpoint ${colour}`).to.not.equal(undefined);
    return e!;
}

/** The resources whose inputs differ between two plans (added or removed ones too). */
const changed = (a: PlanResult, b: PlanResult) => diffPlans(a, b).changed;

describe("components", () => {
    describe("the prod stack", () => {
        let prod: PlanResult;
        before(async () => {
            prod = await planStack("prod");
        });

        it("lists two Deployments, two Services, two PodDisruptionBudgets, one profile and two endpoints", () => {
            const count = (t: string) => ofType(prod, t).length;
            expect(count(DEPLOYMENT)).to.equal(2);
            expect(count("kubernetes:core/v1:Service")).to.equal(2);
            expect(count("kubernetes:policy/v1:PodDisruptionBudget")).to.equal(2);
            expect(count(PROFILE)).to.equal(1);
            expect(count(ENDPOINT)).to.equal(2);
        });

        it("sets up a Weighted profile with the config's TTL and a probe of the health path (HTTP on 80 by default)", () => {
            const p = ofType(prod, PROFILE)[0].inputs;
            expect(p).to.include({ location: "global", trafficRoutingMethod: "Weighted", profileStatus: "Enabled" });
            expect(p.dnsConfig).to.deep.equal({ relativeName: "nextgen-market-prod", ttl: 30 });
            expect(p.monitorConfig).to.deep.include({
                protocol: "HTTP",
                port: 80,
                path: "/api/health",
                intervalInSeconds: 30,
                timeoutInSeconds: 10,
                toleratedNumberOfFailures: 3,
            });
        });

        it("probes HTTPS on 443, and publishes 443 from each slot, when TLS is terminated in front of the slots", async () => {
            const tls = await planStack("prod", { config: edited("prod", { "slotshift:traffic.probeProtocol": "HTTPS", "slotshift:traffic.probePort": 443 }) });
            expect(ofType(tls, PROFILE)[0].inputs.monitorConfig).to.deep.include({ protocol: "HTTPS", port: 443 });
            for (const svc of ofType(tls, "kubernetes:core/v1:Service")) {
                expect((svc.inputs.spec as { ports: { port: number }[] }).ports[0].port).to.equal(443);
            }
        });

        it("points each endpoint at its slot's own public name and waits for that slot's Deployment", () => {
            for (const colour of ["blue", "green"]) {
                const e = endpoint(prod, colour);
                expect(e.inputs).to.include({ endpointType: "ExternalEndpoints", target: `nextgen-market-prod-${colour}.westeurope.cloudapp.azure.com` });
                expect(e.dependsOn).to.include(`nextgen-market-prod-${colour}-deployment`);
                expect(e.dependsOn).not.to.include(`nextgen-market-prod-${colour === "blue" ? "green" : "blue"}-deployment`);
            }
        });

        it("deploys each slot from an immutable digest, never a tag", () => {
            for (const d of ofType(prod, DEPLOYMENT)) {
                const image = (d.inputs.spec as { template: { spec: { containers: { image: string }[] } } }).template.spec.containers[0].image;
                expect(image).to.match(/^ghcr\.io\/nextgen-market\/nextgen-market@sha256:[0-9a-f]{64}$/);
            }
        });

        it("labels slots by app, slot and version, selects by app and slot only, and sets the env vars", () => {
            const green = ofType(prod, DEPLOYMENT).find((d) => d.name.endsWith("-green-deployment"))!;
            const spec = green.inputs.spec as {
                selector: { matchLabels: Record<string, string> };
                template: { metadata: { labels: Record<string, string> }; spec: { containers: { env: { name: string; value: string }[] }[] } };
                strategy: unknown;
            };
            expect(spec.selector.matchLabels).to.deep.equal({ app: "nextgen-market", slot: "green" });
            expect(spec.template.metadata.labels).to.deep.equal({ app: "nextgen-market", slot: "green", version: "1.1.0" });
            expect(spec.template.spec.containers[0].env).to.deep.include.members([
                { name: "SLOT", value: "green" },
                { name: "APP_VERSION", value: "1.1.0" },
                { name: "ENVIRONMENT", value: "prod" },
            ]);
            expect(spec.strategy).to.deep.equal({ type: "RollingUpdate", rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } });
        });
    });

    describe("weights to green", () => {
        for (const weight of [0, 5, 25, 50, 100]) {
            it(`at ${weight} % gives the endpoints ${weight * 10} and ${(100 - weight) * 10}, the route ${weight} and ${100 - weight}`, async () => {
                const tm = await prodAt(weight);
                expect(tm.ok, tm.error?.message).to.equal(true);
                const green = endpoint(tm, "green").inputs;
                const blue = endpoint(tm, "blue").inputs;
                expect(green).to.include(weight === 0 ? { endpointStatus: "Disabled", weight: 1 } : { endpointStatus: "Enabled", weight: weight * 10 });
                expect(blue).to.include(weight === 100 ? { endpointStatus: "Disabled", weight: 1 } : { endpointStatus: "Enabled", weight: (100 - weight) * 10 });

                const gw = await prodAt(weight, { "slotshift:traffic.router": "gateway-api" });
                const route = ofType(gw, ROUTE)[0].inputs as { spec: { rules: { matches: unknown[]; backendRefs: { name: string; weight: number }[] }[] } };
                const main = route.spec.rules[route.spec.rules.length - 1].backendRefs;
                expect(main).to.deep.include.members([
                    { name: "nextgen-market-blue", port: 80, weight: 100 - weight },
                    { name: "nextgen-market-green", port: 80, weight },
                ]);
            });
        }

        it("maps percentages the same way for either live slot", () => {
            expect(trafficManagerWeights("green", 25)).to.deep.equal({ green: { weight: 750, status: "Enabled" }, blue: { weight: 250, status: "Enabled" } });
        });
    });

    describe("the Gateway API route", () => {
        it("sends pinned tenants to the candidate whatever the weight", async () => {
            const gw = await planStack("prod", { config: edited("prod", { "slotshift:traffic.router": "gateway-api" }) });
            const route = ofType(gw, ROUTE)[0];
            const rules = (route.inputs.spec as { rules: { matches: { headers?: unknown[] }[]; backendRefs: { name: string; weight: number }[] }[] }).rules;
            expect(rules[0].matches).to.deep.equal([{ headers: [{ type: "Exact", name: "x-tenant-id", value: "pilot-tenant-id" }] }]);
            expect(rules[0].backendRefs).to.deep.equal([{ name: "nextgen-market-green", port: 80, weight: 1 }]);
            expect(route.dependsOn).to.include.members(["nextgen-market-prod-blue-deployment", "nextgen-market-prod-green-deployment"]);
            expect(ofType(gw, ENDPOINT)).to.have.length(0);
        });

        it("pins no tenant to an empty candidate", async () => {
            const gw = await planStack("prod", { config: edited("prod", { "slotshift:traffic.router": "gateway-api", "slotshift:slots.green": {} }) });
            const rules = (ofType(gw, ROUTE)[0].inputs.spec as { rules: unknown[] }).rules;
            expect(rules).to.have.length(1);
        });
    });

    describe("slots", () => {
        it("keep an empty slot's objects at 0 replicas", async () => {
            const result = await planStack("prod", { config: edited("prod", { "slotshift:slots.green": {} }) });
            const green = ofType(result, DEPLOYMENT).find((d) => d.name.endsWith("-green-deployment"))!;
            expect((green.inputs.spec as { replicas: number }).replicas).to.equal(0);
            expect(ofType(result, "kubernetes:core/v1:Service")).to.have.length(2);
            expect((result.outputs.rollout as { phase: string }).phase).to.equal("stable");
        });

        it("scale a decommissioned slot to 0 and keep its version", async () => {
            const result = await planStack("prod", { config: edited("prod", { "slotshift:slots.green.decommissioned": true }) });
            const green = ofType(result, DEPLOYMENT).find((d) => d.name.endsWith("-green-deployment"))!;
            const spec = green.inputs.spec as { replicas: number; template: { metadata: { labels: { version: string } } } };
            expect(spec.replicas).to.equal(0);
            expect(spec.template.metadata.labels.version).to.equal("1.1.0");
        });

        it("runs one slot in dev, where strategy direct updates it in place", async () => {
            const dev = await planStack("dev");
            expect(ofType(dev, DEPLOYMENT)).to.have.length(1);
            expect(ofType(dev, ENDPOINT)).to.have.length(0);
            expect(ofType(dev, ROUTE)).to.have.length(0);
            expect((dev.outputs.endpoints as { public: string }).public).to.equal("nextgen-market-dev-blue.westeurope.cloudapp.azure.com");
        });

        it("turn semver build metadata into a label value Kubernetes accepts", () => {
            expect(labelValue("1.2.0-alpha.3+build.140")).to.equal("1.2.0-alpha.3_build.140");
            expect(labelValue(`${"9".repeat(70)}`)).to.have.length(63);
        });
    });

    describe("every Kubernetes object validates against the upstream schemas", () => {
        for (const stack of STACKS) {
            for (const router of ["traffic-manager", "gateway-api"]) {
                if (stack === "dev" && router === "gateway-api") {
                    continue;
                }
                it(`in ${stack} with ${router}`, async () => {
                    const result = await planStack(stack, { config: edited(stack, { "slotshift:traffic.router": router }) });
                    expect(result.ok, result.error?.message).to.equal(true);
                    let checked = 0;
                    for (const r of result.resources.filter((x) => x.type.startsWith("kubernetes:"))) {
                        const validate = {
                            [DEPLOYMENT]: () => new Deployment(r.inputs as never).validate(),
                            "kubernetes:core/v1:Service": () => new Service(r.inputs as never).validate(),
                            "kubernetes:policy/v1:PodDisruptionBudget": () => new PodDisruptionBudget(r.inputs as never).validate(),
                            "kubernetes:core/v1:Namespace": () => new Namespace(r.inputs as never).validate(),
                            "kubernetes:core/v1:Secret": () => new Secret(r.inputs as never).validate(),
                            [ROUTE]: () => new HTTPRoute(r.inputs as never).validate(),
                        }[r.type];
                        expect(validate, `a validator for ${r.type}`).to.not.equal(undefined);
                        expect(validate!, `${r.type} ${r.name}`).to.not.throw();
                        checked++;
                    }
                    expect(checked).to.be.greaterThan(3);
                });
            }
        }

        it("and the validators do refuse a broken object", () => {
            expect(() => new Deployment({ spec: { selector: {}, template: {}, replicas: "three" } } as never).validate()).to.throw();
        });
    });

    describe("security settings", () => {
        for (const stack of STACKS) {
            it(`every container in ${stack} runs non-root, read-only, unprivileged, with capabilities dropped and resources bounded`, async () => {
                const result = await planStack(stack);
                const deployments = ofType(result, DEPLOYMENT);
                expect(deployments.length).to.be.greaterThan(0);
                for (const d of deployments) {
                    const pod = (d.inputs.spec as { template: { spec: Record<string, unknown> } }).template.spec as {
                        securityContext: Record<string, unknown>;
                        automountServiceAccountToken: boolean;
                        containers: { securityContext: Record<string, unknown>; resources: { requests: Record<string, string>; limits: Record<string, string> } }[];
                    };
                    expect(pod.securityContext).to.include({ runAsNonRoot: true });
                    expect(pod.securityContext.runAsUser).to.be.greaterThan(0);
                    expect(pod.automountServiceAccountToken).to.equal(false);
                    for (const c of pod.containers) {
                        expect(c.securityContext).to.include({ runAsNonRoot: true, readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, privileged: false });
                        expect(c.securityContext.capabilities).to.deep.equal({ drop: ["ALL"] });
                        expect(c.resources.requests).to.have.all.keys("cpu", "memory");
                        expect(c.resources.limits).to.have.all.keys("cpu", "memory");
                    }
                }
                expect(ofType(result, "kubernetes:policy/v1:PodDisruptionBudget")).to.have.length(deployments.length);
            });
        }
    });

    describe("blast radius", () => {
        it("from 25 % to 50 % changes the endpoints and scales the candidate (1 to 2 pods, proportional capacity), nothing else", async () => {
            const at25 = await prodAt(25);
            const at50 = await prodAt(50);
            const diff = changed(at25, at50);
            expect(diff).to.deep.equal([
                `${ENDPOINT}::nextgen-market-prod-traffic-blue`,
                `${ENDPOINT}::nextgen-market-prod-traffic-green`,
                "kubernetes:apps/v1:Deployment::nextgen-market-prod-green-deployment",
            ]);
        });

        it("from 25 % to 50 % changes the endpoints only with full capacity", async () => {
            const full = { "slotshift:capacity": { canaryScale: "full" } };
            const diff = changed(await prodAt(25, full), await prodAt(50, full));
            expect(diff).to.deep.equal([`${ENDPOINT}::nextgen-market-prod-traffic-blue`, `${ENDPOINT}::nextgen-market-prod-traffic-green`]);
        });

        it("a rollback from 50 % to 0 changes the endpoints only", async () => {
            const at50 = await prodAt(50);
            const at0 = await planStack("prod", { config: edited("prod", { "slotshift:rollout.weight": 0 }), previous: at50.outputs });
            expect(at0.ok, at0.error?.message).to.equal(true);
            expect(changed(at50, at0).every((k) => ROUTING_TYPES.has(k.split("::")[0]))).to.equal(true);
            expect(changed(at50, at0)).to.have.length(2);
        });

        it("a step with the Gateway API router changes the HTTPRoute only", async () => {
            const gw = (w: number) => prodAt(w, { "slotshift:traffic.router": "gateway-api" });
            expect(changed(await gw(5), await gw(25))).to.deep.equal([`${ROUTE}::nextgen-market-prod-route-httproute`]);
        });
    });
});

describe("moving tags", () => {
    it("are not published unless asked", async () => {
        const result = await planStack("prod");
        expect(result.resources.filter((r) => r.type.startsWith("docker:"))).to.deep.equal([]);
    });

    it("follow the live slot when slotshift:app.publishMovingTags is true", async () => {
        const result = await planStack("prod", { config: edited("prod", { "slotshift:app.publishMovingTags": true }) });
        const pushed = result.resources.filter((r) => r.type === "docker:index/registryImage:RegistryImage").map((r) => r.inputs.name);
        expect(pushed).to.deep.equal(["ghcr.io/nextgen-market/nextgen-market:1.0", "ghcr.io/nextgen-market/nextgen-market:latest"]);
        const tags = result.resources.filter((r) => r.type === "docker:index/tag:Tag");
        expect(tags.map((t) => t.parent)).to.deep.equal(["nextgen-market-prod-blue-image", "nextgen-market-prod-blue-image"]);
    });
});
