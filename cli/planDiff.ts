/**
 * What changes between two plans of a stack: the resources whose inputs
 * differ, which of those are routing, and which a provider could only change
 * by replacing the resource. The tests and the benchmark measure blast radius
 * with it.
 */
import { PlanResult, PlannedResource } from "./engine";

/** The resources a weight step or a rollback may change: the router. */
export const ROUTING_TYPES: ReadonlySet<string> = new Set(["azure-native:trafficmanager:Endpoint", "kubernetes:gateway.networking.k8s.io/v1:HTTPRoute"]);

/**
 * Inputs a provider cannot change in place: a change to one replaces the resource
 * (names, the Deployment selector, locations). Types not listed replace on none.
 */
export const REPLACE_ON: Readonly<Record<string, readonly string[]>> = {
    "kubernetes:apps/v1:Deployment": ["metadata.name", "metadata.namespace", "spec.selector"],
    "kubernetes:core/v1:Service": ["metadata.name", "metadata.namespace", "spec.clusterIP"],
    "kubernetes:policy/v1:PodDisruptionBudget": ["metadata.name", "metadata.namespace"],
    "kubernetes:core/v1:Namespace": ["metadata.name"],
    "kubernetes:core/v1:Secret": ["metadata.name", "metadata.namespace", "type"],
    "kubernetes:gateway.networking.k8s.io/v1:HTTPRoute": ["metadata.name", "metadata.namespace"],
    "kubernetes:autoscaling/v2:HorizontalPodAutoscaler": ["metadata.name", "metadata.namespace"],
    // A Job's pod template is immutable once created: any change of its spec replaces it (runs it again).
    "kubernetes:batch/v1:Job": ["metadata.name", "metadata.namespace", "spec"],
    "azure-native:resources:ResourceGroup": ["resourceGroupName", "location"],
    "azure-native:trafficmanager:Profile": ["profileName", "resourceGroupName", "dnsConfig.relativeName"],
    "azure-native:trafficmanager:Endpoint": ["endpointName", "endpointType", "profileName", "resourceGroupName"],
    "azure-native:operationalinsights:Workspace": ["workspaceName", "resourceGroupName", "location"],
    "azure-native:applicationinsights:Component": ["resourceName", "resourceGroupName", "location", "kind"],
    "azure-native:monitor:ActionGroup": ["actionGroupName", "resourceGroupName"],
    "azure-native:monitor:ScheduledQueryRule": ["ruleName", "resourceGroupName", "location"],
    "azure-native:monitor:MetricAlert": ["ruleName", "resourceGroupName"],
    "azure-native:portal:Dashboard": ["dashboardName", "resourceGroupName", "location"],
};

/** `type::name` of a resource. */
export function resourceKey(r: PlannedResource): string {
    return `${r.type}::${r.name}`;
}

function at(obj: unknown, dotted: string): unknown {
    return dotted.split(".").reduce<unknown>((o, k) => (o !== null && typeof o === "object" ? (o as Record<string, unknown>)[k] : undefined), obj);
}

/** The blast radius of going from plan `a` to plan `b`. */
export interface PlanDiff {
    /** `type::name` of every resource whose inputs differ, or that is added or removed, sorted. */
    readonly changed: string[];
    /** Those that are not routing (a provider that only comes or goes is neither). */
    readonly nonRouting: string[];
    /** Those a provider would replace. */
    readonly replaced: string[];
    readonly added: string[];
    readonly removed: string[];
}

/** Compares two plans resource by resource (components included: their inputs are empty). */
export function diffPlans(a: PlanResult, b: PlanResult): PlanDiff {
    const before = new Map(a.resources.map((r) => [resourceKey(r), r]));
    const after = new Map(b.resources.map((r) => [resourceKey(r), r]));
    const keys = [...new Set([...before.keys(), ...after.keys()])].sort();
    const changed = keys.filter((k) => JSON.stringify(before.get(k)?.inputs) !== JSON.stringify(after.get(k)?.inputs));
    const replaced = changed.filter((k) => {
        const old = before.get(k);
        const now = after.get(k);
        return old !== undefined && now !== undefined && (REPLACE_ON[now.type] ?? []).some((p) => JSON.stringify(at(old.inputs, p)) !== JSON.stringify(at(now.inputs, p)));
    });
    const added = keys.filter((k) => !before.has(k));
    const removed = keys.filter((k) => !after.has(k));
    // A provider that comes or goes touches no cloud object: the Docker provider is registered only
    // while a digest must be looked up (components/blueGreenApp.ts), so the first update after one that
    // looked a digest up drops it. A provider whose configuration changes does count.
    const providerComesOrGoes = (k: string) => k.startsWith("pulumi:providers:") && (added.includes(k) || removed.includes(k));
    return {
        changed,
        nonRouting: changed.filter((k) => !ROUTING_TYPES.has(k.split("::")[0]) && !providerComesOrGoes(k)),
        replaced,
        added,
        removed,
    };
}
