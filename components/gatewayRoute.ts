import * as pulumi from "@pulumi/pulumi";
import { CustomResource } from "@pulumi/kubernetes/apiextensions";
import { SlotColour, otherSlot } from "../rollout/config";
import { slotWeights } from "../rollout/routing";

export interface GatewayRouteArgs {
    /** The app's name: the route's name and `app` label. */
    readonly app: string;
    /** The namespace of the route and the slot Services. */
    readonly namespace: pulumi.Input<string>;
    /** The Gateway the route attaches to. */
    readonly gateway: { readonly name: string; readonly namespace?: string };
    /** Host names the route answers; none means every host the Gateway listens on. @default [] */
    readonly hostnames?: readonly string[];
    /** The slot Services by colour. */
    readonly services: Readonly<Record<SlotColour, pulumi.Input<string>>>;
    /** The Services' port. */
    readonly port: number;
    /** The slot holding the stable version. */
    readonly live: SlotColour;
    /** The candidate's share of traffic in percent. */
    readonly candidateWeight: number;
    /** Whether pinned tenants go to the candidate now (from its staging to 100 %, not after a rollback). */
    readonly pinTenants: boolean;
    /** The header that names the tenant. @default "x-tenant-id" */
    readonly tenantHeader?: string;
    /** Tenants always routed to the candidate (while it runs). @default [] */
    readonly pinnedTenants?: readonly string[];
    /** What must be ready before the route changes (both slots' Deployments). */
    readonly readyWhen: readonly pulumi.Resource[];
}

/**
 * The in-cluster router: a Gateway API `HTTPRoute` with weighted backendRefs
 * to the two slot Services (an instant switch), and header matches that send
 * pinned tenants to the candidate whatever the weight.
 */
export class GatewayRoute extends pulumi.ComponentResource {
    /** The HTTPRoute's name. */
    public readonly routeName: pulumi.Output<string>;

    constructor(name: string, args: GatewayRouteArgs, opts?: pulumi.ComponentResourceOptions) {
        super("slotshift:kubernetes:GatewayRoute", name, {}, opts);
        const pinned = args.pinnedTenants ?? [];
        const header = args.tenantHeader ?? "x-tenant-id";
        if (pinned.length > 16) {
            throw new Error(`GatewayRoute ${name}: ${pinned.length} pinned tenants; allowed: at most 16 (each is a route match)`);
        }
        const weights = slotWeights(args.live, args.candidateWeight);
        const candidate = otherSlot(args.live);
        const backend = (colour: SlotColour, weight: number) => ({ name: args.services[colour], port: args.port, weight });

        const rules: Record<string, unknown>[] = [];
        if (args.pinTenants && pinned.length > 0) {
            rules.push({
                matches: pinned.map((tenant) => ({ headers: [{ type: "Exact", name: header, value: tenant }] })),
                backendRefs: [backend(candidate, 1)],
            });
        }
        rules.push({
            matches: [{ path: { type: "PathPrefix", value: "/" } }],
            backendRefs: [backend(args.live, weights[args.live]), backend(candidate, weights[candidate])],
        });

        const route = new CustomResource(
            `${name}-httproute`,
            {
                apiVersion: "gateway.networking.k8s.io/v1",
                kind: "HTTPRoute",
                metadata: { name: args.app, namespace: args.namespace, labels: { app: args.app } },
                spec: {
                    parentRefs: [
                        {
                            group: "gateway.networking.k8s.io",
                            kind: "Gateway",
                            name: args.gateway.name,
                            ...(args.gateway.namespace === undefined ? {} : { namespace: args.gateway.namespace }),
                        },
                    ],
                    ...(args.hostnames && args.hostnames.length > 0 ? { hostnames: [...args.hostnames] } : {}),
                    rules,
                },
            },
            { parent: this, dependsOn: [...args.readyWhen] },
        );
        this.routeName = route.metadata.name;
        this.registerOutputs({ routeName: this.routeName });
    }
}
