// The SDK's floor for slotshift's prod stack: the very registrations the prod program makes (the
// same types, names, parents, dependencies and inputs, read from its offline plan), its two stack
// reference reads, its client-config call and its stack outputs, with none of slotshift's own
// work: no config parsing, no decision, no inputs computed from other resources' outputs.
// Started exactly like the program, with the program's stack formatter, it shows what the
// Pulumi SDK costs for this stack.
//
// env: BENCH_REPLAY, the path of a JSON file: `{ resources, outputs }` of an offline plan;
//      BENCH_REFERENCES, as for the program (the stacks it reads besides its own).
import * as pulumi from "@pulumi/pulumi";
import { getClientConfigOutput } from "@pulumi/azure-native/authorization";
import { getManagedClusterOutput, listManagedClusterUserCredentialsOutput } from "@pulumi/azure-native/containerservice";
import { getWorkspaceOutput } from "@pulumi/azure-native/operationalinsights";
import * as fs from "fs";
import { SECRET_MARK } from "../../rollout/errors";
import { quietPromiseStamps } from "../../runtime/stackTraces";

interface Registration {
    readonly type: string;
    readonly name: string;
    readonly parent: string | null;
    readonly custom: boolean;
    readonly inputs: Record<string, unknown>;
    readonly dependsOn: readonly string[];
    readonly provider: string | null;
}

/** A component of the program, replayed: its outputs are registered once its children are. */
class Replayed extends pulumi.ComponentResource {
    public done(): void {
        this.registerOutputs({});
    }
}

type ResourceClass = new (name: string, args: Record<string, unknown>, opts: pulumi.CustomResourceOptions) => pulumi.CustomResource;

const replay = JSON.parse(fs.readFileSync(process.env.BENCH_REPLAY!, "utf8")) as { resources: Registration[]; outputs: Record<string, unknown> };

/** The SDK module of a type token. Required here, as the program requires its modules when it loads. */
function moduleOf(type: string): Record<string, ResourceClass | undefined> | undefined {
    const [pkg, mod] = type.split(":");
    if (pkg === "pulumi" && mod === "providers") {
        // A provider resource: `pulumi:providers:<package>` is the package's Provider class.
        const name = type.split(":")[2];
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        const m = require(name === "docker" ? "@pulumi/docker" : `@pulumi/${name}/provider`) as { Provider: ResourceClass };
        return { [name]: m.Provider };
    }
    const modulePath = pkg === "azure-native" ? `@pulumi/azure-native/${mod}` : pkg === "kubernetes" ? `@pulumi/kubernetes/${mod}` : undefined;
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return modulePath === undefined ? undefined : (require(modulePath) as Record<string, ResourceClass | undefined>);
}
const modules = new Map(replay.resources.filter((r) => r.custom).map((r) => [r.type, moduleOf(r.type)]));

/** The SDK class of a type token; the module loads the class when it is first used, as in the program. */
function classOf(type: string): ResourceClass {
    const cls = modules.get(type)?.[type.split(":")[2]];
    if (cls === undefined) {
        throw new Error(`bench/replay: no SDK class for ${type}`);
    }
    return cls;
}

/** The plan prints secrets as SECRET_MARK; they go back in as secrets. */
function secretsBack(value: unknown): unknown {
    if (value === SECRET_MARK) {
        return pulumi.secret(value);
    }
    if (Array.isArray(value)) {
        return value.map(secretsBack);
    }
    if (value !== null && typeof value === "object") {
        return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, secretsBack(v)]));
    }
    return value;
}

export = async () => {
    quietPromiseStamps();
    const stacks = [pulumi.getStack(), ...Object.keys(JSON.parse(process.env.BENCH_REFERENCES ?? "{}") as Record<string, unknown>)];
    for (const stack of stacks) {
        await new pulumi.StackReference(`replay-${stack}`, { name: `organization/${pulumi.getProject()}/${stack}` }).getOutputDetails("rollout");
    }
    const subscriptionId = getClientConfigOutput().subscriptionId;
    // The program's reads of its cluster (components/cluster.ts), when it has one.
    if (replay.resources.some((r) => r.type === "pulumi:providers:kubernetes")) {
        const cluster = { resourceGroupName: "replay-rg", resourceName: "replay-cluster" };
        listManagedClusterUserCredentialsOutput({ ...cluster, format: "exec" }).kubeconfigs.apply((k) => k.length);
        getManagedClusterOutput(cluster).location.apply((l) => l);
    }
    // The program's read of its cluster's workspace (slotshift analyze's health signal), when it has one.
    if ((replay.outputs.telemetry as { clusterWorkspaceCustomerId?: unknown } | undefined)?.clusterWorkspaceCustomerId) {
        getWorkspaceOutput({ resourceGroupName: "replay-rg", workspaceName: "replay-workspace" }).customerId.apply((c) => c);
    }
    const made = new Map<string, pulumi.Resource>();
    const find = (name: string, of: string) => {
        const r = made.get(name);
        if (r === undefined) {
            throw new Error(`bench/replay: ${of} names ${name}, which is not registered before it`);
        }
        return r;
    };
    const components: Replayed[] = [];
    for (const r of replay.resources) {
        if (made.has(r.name)) {
            throw new Error(`bench/replay: two registrations named ${r.name}`);
        }
        const opts = {
            parent: r.parent === null ? undefined : find(r.parent, r.name),
            dependsOn: r.dependsOn.filter((d) => d !== r.parent).map((d) => find(d, r.name)),
            ...(r.provider === null ? {} : { provider: find(r.provider, r.name) as pulumi.ProviderResource }),
        };
        if (r.custom) {
            made.set(r.name, new (classOf(r.type))(r.name, secretsBack(r.inputs) as Record<string, unknown>, opts));
        } else {
            const component = new Replayed(r.type, r.name, {}, opts);
            components.push(component);
            made.set(r.name, component);
        }
    }
    for (const c of components) {
        c.done();
    }
    return { ...replay.outputs, subscriptionId };
};
