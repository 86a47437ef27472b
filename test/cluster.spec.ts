import { expect } from "chai";
import { PlanResult } from "../cli/engine";
import { diffPlans } from "../cli/planDiff";
import { edited, ofType, planStack, STACKS, walk } from "./helpers";

const K8S = /^kubernetes:/;

describe("the stack's own cluster (slotshift:cluster)", function () {
    this.timeout(120000);

    for (const stack of STACKS) {
        it(`${stack}: every Kubernetes resource goes through the cluster's provider, never the current kubeconfig context`, async () => {
            const result = await planStack(stack);
            expect(result.ok, result.error?.message).to.equal(true);
            const [provider] = ofType(result, "pulumi:providers:kubernetes");
            expect(provider.name).to.equal(`nextgen-market-${stack}-cluster`);
            // The kubeconfig carries the cluster's credentials: a secret in the plan as in the state.
            expect(provider.inputs).to.deep.equal({
                kubeconfig: "[secret]",
                // Replaced only when the cluster itself changes, never on a certificate rotation.
                clusterIdentifier: `/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/nextgen-market-aks-${stack}/providers/Microsoft.ContainerService/managedClusters/nextgen-market-aks-${stack}`,
            });
            const k8s = result.resources.filter((r) => K8S.test(r.type));
            expect(k8s.length).to.be.greaterThan(3);
            for (const r of k8s) {
                expect(r.provider, `${r.type} ${r.name}`).to.equal(`nextgen-market-${stack}-cluster`);
            }
            // Azure's resources keep the default provider of the stack's subscription.
            for (const r of result.resources.filter((x) => x.type.startsWith("azure-native:"))) {
                expect(r.provider, r.name).to.equal(null);
            }
        });
    }

    it("reads the kubeconfig of the named cluster in the exec format (kubelogin for Entra ID clusters)", async () => {
        const asked: Record<string, unknown>[] = [];
        const result = await planStack("prod", {
            invokes: {
                "azure-native:containerservice:listManagedClusterUserCredentials": (inputs) => {
                    asked.push(inputs);
                    return { kubeconfigs: [{ name: "clusterUser", value: Buffer.from("apiVersion: v1\nkind: Config\n").toString("base64") }] };
                },
            },
        });
        expect(result.ok, result.error?.message).to.equal(true);
        // (The promotion source, staging, is planned from its own file first and reads its own cluster.)
        expect(asked.filter((a) => String(a.resourceName).endsWith("-prod"))).to.deep.equal([{ resourceGroupName: "nextgen-market-aks-prod", resourceName: "nextgen-market-aks-prod", format: "exec" }]);
    });

    it("names each slot after the cluster's region as Azure reports it, not the stack's", async () => {
        const result = await planStack("prod", {
            config: edited("prod", { "azure-native:location": "westeurope" }),
            invokes: { "azure-native:containerservice:getManagedCluster": (inputs) => ({ name: inputs.resourceName, location: "swedencentral" }) },
        });
        expect(result.ok, result.error?.message).to.equal(true);
        const endpoints = result.outputs.endpoints as { blue: string; green: string };
        expect(endpoints.blue).to.equal("nextgen-market-prod-blue.swedencentral.cloudapp.azure.com");
        expect(endpoints.green).to.equal("nextgen-market-prod-green.swedencentral.cloudapp.azure.com");
        const targets = ofType(result, "azure-native:trafficmanager:Endpoint").map((e) => e.inputs.target);
        expect(targets.sort()).to.deep.equal([endpoints.blue, endpoints.green]);
    });

    it("reads a cluster in another subscription through a provider of that subscription", async () => {
        const sub = "11111111-2222-3333-4444-555555555555";
        const result = await planStack("prod", { config: edited("prod", { "slotshift:cluster.subscriptionId": sub }) });
        expect(result.ok, result.error?.message).to.equal(true);
        const [azure] = ofType(result, "pulumi:providers:azure-native");
        expect(azure.name).to.equal("nextgen-market-prod-cluster-subscription");
        expect(azure.inputs).to.include({ subscriptionId: sub });
    });

    describe("bad input: one line naming the key, nothing registered", () => {
        const cases: [string, unknown, string, RegExp][] = [
            ["missing", undefined, "slotshift:cluster", /^slotshift:cluster is missing; required: the AKS cluster the stack deploys to: \{ resourceGroup, name \}.*pulumi config set --path 'slotshift:cluster\.resourceGroup'/],
            ["a string", "nextgen-market-aks-prod", "slotshift:cluster", /^slotshift:cluster is "nextgen-market-aks-prod"; allowed: an object: the AKS cluster the stack deploys to/],
            ["without a name", { resourceGroup: "rg" }, "slotshift:cluster.name", /^slotshift:cluster\.name is missing; required: an AKS cluster name/],
            ["a name Azure refuses", { resourceGroup: "rg", name: "-aks-" }, "slotshift:cluster.name", /^slotshift:cluster\.name is "-aks-"; allowed: an AKS cluster name: 1 to 63 letters, digits, '-' and '_', starting and ending with a letter or digit$/],
            ["a name too long", { resourceGroup: "rg", name: "a".repeat(64) }, "slotshift:cluster.name", /^slotshift:cluster\.name is "a{64}"; allowed: an AKS cluster name: .*at most 63 characters$/],
            ["a resource group Azure refuses", { resourceGroup: "rg with spaces", name: "aks" }, "slotshift:cluster.resourceGroup", /^slotshift:cluster\.resourceGroup is "rg with spaces"; allowed: an Azure resource group name/],
            ["a subscription that is not a GUID", { resourceGroup: "rg", name: "aks", subscriptionId: "prod-sub" }, "slotshift:cluster.subscriptionId", /^slotshift:cluster\.subscriptionId is "prod-sub"; allowed: an Azure subscription ID \(a GUID\)$/],
            ["an unknown key", { resourceGroup: "rg", name: "aks", context: "laptop" }, "slotshift:cluster.context", /^slotshift:cluster\.context is not a known key/],
        ];
        for (const [what, value, key, message] of cases) {
            it(`refuses slotshift:cluster ${what}`, async () => {
                const result: PlanResult = await planStack("prod", { config: edited("prod", { "slotshift:cluster": value }) });
                expect(result.ok).to.equal(false);
                expect(result.error?.key).to.equal(key);
                const line = result.error!.message.replace(/^slotshift refused the config of stack prod: /, "");
                expect(line.split("\n")).to.have.length(1);
                expect(line).to.match(message);
                expect(result.resources).to.deep.equal([]);
            });
        }
    });
});

describe("no Docker engine in pulumi preview or up", function () {
    this.timeout(120000);

    it("looks digests up through a Docker provider of the app's own with the daemon check off", async () => {
        const result = await planStack("prod");
        const [docker] = ofType(result, "pulumi:providers:docker");
        expect(docker.name).to.equal("nextgen-market-prod-registry");
        expect(docker.inputs).to.deep.equal({ disableDockerDaemonCheck: "true" });
        // The images are read, not built or tagged: nothing of the Docker provider's needs an engine.
        expect(result.resources.filter((r) => r.type.startsWith("docker:"))).to.deep.equal([]);
    });

    it("registers no Docker provider at all when every slot's digest is known (a step, a rollback): no engine needed then", async () => {
        const steps = await walk("prod", [{ "slotshift:rollout.weight": 0 }, { "slotshift:rollout.weight": 5 }, { "slotshift:rollout.weight": 0 }]);
        for (const step of steps.slice(1)) {
            expect(step.ok, step.error?.message).to.equal(true);
            expect(ofType(step, "pulumi:providers:docker")).to.deep.equal([]);
        }
        const given = await planStack("prod", {
            config: edited("prod", { "slotshift:slots.blue.digest": `sha256:${"a".repeat(64)}`, "slotshift:slots.green.digest": undefined }),
        });
        // Green's digest comes from staging (the promotion), blue's is given: nothing to look up.
        expect(given.ok, given.error?.message).to.equal(true);
        expect(ofType(given, "pulumi:providers:docker")).to.deep.equal([]);
    });

    it("drops the Docker provider on the first update that needs no lookup, which the blast radius counts as no cloud change", async () => {
        const [first, stepped] = await walk("prod", [{ "slotshift:rollout.weight": 0 }, { "slotshift:rollout.weight": 5 }]);
        expect(ofType(first, "pulumi:providers:docker")).to.have.length(1);
        const d = diffPlans(first, stepped);
        expect(d.removed).to.deep.equal(["pulumi:providers:docker::nextgen-market-prod-registry"]);
        expect(d.nonRouting).to.deep.equal([]);
        // A provider whose configuration changes does count.
        const moved = { ...stepped, resources: stepped.resources.map((r) => (r.type === "pulumi:providers:kubernetes" ? { ...r, inputs: { kubeconfig: "other" } } : r)) };
        expect(diffPlans(stepped, moved).nonRouting).to.deep.equal(["pulumi:providers:kubernetes::nextgen-market-prod-cluster"]);
    });

    it("authenticates the lookups and the pods' pulls for a private registry, the password a secret", async () => {
        const result = await planStack("prod", {
            config: edited("prod", { "slotshift:app.registry": { username: "nextgen-bot", password: "ghp_verysecretregistrytoken0000" } }),
            secretKeys: ["slotshift:app"],
        });
        expect(result.ok, result.error?.message).to.equal(true);
        const [docker] = ofType(result, "pulumi:providers:docker");
        expect(docker.inputs.disableDockerDaemonCheck).to.equal("true");
        expect(JSON.stringify(result)).not.to.contain("verysecretregistrytoken");
        const pull = ofType(result, "kubernetes:core/v1:Secret").find((s) => s.name.endsWith("-registry-secret"));
        expect(pull?.provider).to.equal("nextgen-market-prod-cluster");
    });
});

describe("routing waits for what it routes to", function () {
    this.timeout(120000);

    it("Traffic Manager endpoints wait for the slot's Deployment and for its Service's public address", async () => {
        const result = await planStack("prod");
        for (const e of ofType(result, "azure-native:trafficmanager:Endpoint")) {
            const colour = e.name.endsWith("-blue") ? "blue" : "green";
            expect(e.dependsOn, e.name).to.include.members([`nextgen-market-prod-${colour}-deployment`, `nextgen-market-prod-${colour}-service`]);
        }
    });

    it("the HTTPRoute waits for both slots' Deployments and Services", async () => {
        const result = await planStack("prod", { config: edited("prod", { "slotshift:traffic.router": "gateway-api" }) });
        const [route] = ofType(result, "kubernetes:gateway.networking.k8s.io/v1:HTTPRoute");
        expect(route.dependsOn).to.include.members(["blue", "green"].flatMap((c) => [`nextgen-market-prod-${c}-deployment`, `nextgen-market-prod-${c}-service`]));
    });
});

describe("a failed update records nothing", function () {
    this.timeout(120000);

    const stepTo5 = async (failing: string[], edits: Record<string, unknown> = {}) => {
        const [staged] = await walk("prod", [{ "slotshift:rollout.weight": 0, ...edits }]);
        expect(staged.ok, staged.error?.message).to.equal(true);
        return planStack("prod", { config: edited("prod", { "slotshift:rollout.weight": 5, ...edits }), previous: staged.outputs, failing, now: new Date(Date.now() + 3600_000) });
    };

    for (const failing of ["nextgen-market-prod-green-deployment", "nextgen-market-prod-traffic-green", "nextgen-market-prod-traffic-blue", "nextgen-market-prod-blue-deployment"]) {
        it(`keeps the previous rollout when ${failing} fails: no stack output is registered`, async () => {
            const result = await stepTo5([failing]);
            expect(result.ok).to.equal(false);
            expect(result.error?.message).to.contain(failing);
            expect(result.outputs).to.deep.equal({});
        });
    }

    it("keeps the previous rollout when the HTTPRoute fails (gateway-api)", async () => {
        const result = await stepTo5(["nextgen-market-prod-route-httproute"], { "slotshift:traffic.router": "gateway-api" });
        expect(result.ok).to.equal(false);
        expect(result.outputs).to.deep.equal({});
    });

    it("records the step when everything applied", async () => {
        const result = await stepTo5([]);
        expect(result.ok, result.error?.message).to.equal(true);
        expect((result.outputs.rollout as { weights: { green: number } }).weights.green).to.equal(5);
    });
});
