// The SDK's floor for slotshift's prod stack: the very registrations the prod program makes (the
// same types, names, parents and inputs, read from its offline plan), with none of slotshift's
// own work: no config parsing, no decision, no outputs computed from other resources. Started
// exactly like the program, with the program's stack formatter, it shows what the Pulumi SDK
// costs for this many resources.
//
// env: BENCH_REPLAY, the path of a JSON file: the PlannedResource list of an offline plan.
import * as pulumi from "@pulumi/pulumi";
import * as fs from "fs";
import { quietPromiseStamps } from "../../runtime/stackTraces";

interface Registration {
    readonly type: string;
    readonly name: string;
    readonly parent: string | null;
    readonly custom: boolean;
    readonly inputs: Record<string, unknown>;
}

type ResourceClass = new (name: string, args: Record<string, unknown>, opts: pulumi.CustomResourceOptions) => pulumi.Resource;

/** The SDK class of a type token, loaded by module as the program loads it. */
function classOf(type: string): ResourceClass {
    const [pkg, mod, kind] = type.split(":");
    const modulePath = pkg === "azure-native" ? `@pulumi/azure-native/${mod}` : pkg === "kubernetes" ? `@pulumi/kubernetes/${mod}` : undefined;
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const cls = modulePath === undefined ? undefined : (require(modulePath) as Record<string, ResourceClass | undefined>)[kind];
    if (cls === undefined) {
        throw new Error(`bench/replay: no SDK class for ${type}`);
    }
    return cls;
}

export = async () => {
    quietPromiseStamps();
    const registrations = JSON.parse(fs.readFileSync(process.env.BENCH_REPLAY!, "utf8")) as Registration[];
    const made = new Map<string, pulumi.Resource>();
    for (const r of registrations) {
        const parent = r.parent === null ? undefined : made.get(r.parent);
        made.set(r.name, r.custom ? new (classOf(r.type))(r.name, r.inputs, { parent }) : new pulumi.ComponentResource(r.type, r.name, {}, { parent }));
    }
    return { resources: made.size };
};
