import * as pulumi from "@pulumi/pulumi";
import { Endpoint, Profile } from "@pulumi/azure-native/trafficmanager";
import { SLOT_COLOURS, SlotColour } from "../rollout/config";
import { trafficManagerWeights } from "../rollout/routing";

/** One slot as the traffic manager sees it. */
export interface TrafficManagerSlot {
    /** The slot's public name, the endpoint's target. */
    readonly target: pulumi.Input<string>;
    /** What must be ready before the endpoint routes to it: the slot's Deployment and its Service (with its public address). */
    readonly readyWhen: readonly pulumi.Resource[];
}

export interface TrafficManagerArgs {
    /** The resource group of the profile. */
    readonly resourceGroupName: pulumi.Input<string>;
    /** The profile's relative DNS name: `<dnsName>.trafficmanager.net`, unique across Azure. */
    readonly dnsName: string;
    /** DNS TTL in seconds. @default 30 */
    readonly ttl?: number;
    /** The health probe's path. */
    readonly healthPath: string;
    /** Probe protocol. @default "HTTP" */
    readonly probeProtocol?: "HTTPS" | "HTTP";
    /** Probe port. @default 80 */
    readonly probePort?: number;
    /** Seconds between probes: 10 or 30. @default 30 */
    readonly probeIntervalSeconds?: number;
    /** Probe timeout in seconds. @default 10 */
    readonly probeTimeoutSeconds?: number;
    /** Failed probes tolerated before an endpoint is degraded. @default 3 */
    readonly toleratedFailures?: number;
    /** The slot holding the stable version. */
    readonly live: SlotColour;
    /** The candidate's share of traffic in percent. */
    readonly candidateWeight: number;
    /** Both slots; an endpoint per slot. */
    readonly slots: Readonly<Record<SlotColour, TrafficManagerSlot>>;
    /**
     * The slot whose share grows in this update, if one does. Its endpoint is updated first and
     * the other waits for it, so no moment has every endpoint disabled (which Azure answers with
     * NXDOMAIN, and resolvers cache).
     */
    readonly raising?: SlotColour | null;
}

/**
 * A Weighted Azure Traffic Manager profile with one external endpoint per
 * slot. `w` % to the candidate gives endpoint weights `w*10` and `(100-w)*10`;
 * an endpoint at 0 % is Disabled. A weight step changes the endpoints only.
 */
export class TrafficManager extends pulumi.ComponentResource {
    /** The public name: `<dnsName>.trafficmanager.net`. */
    public readonly fqdn: pulumi.Output<string>;
    /** The profile's resource ID. */
    public readonly profileId: pulumi.Output<string>;
    /** The endpoints by slot. */
    public readonly endpoints: Readonly<Record<SlotColour, Endpoint>>;

    constructor(name: string, args: TrafficManagerArgs, opts?: pulumi.ComponentResourceOptions) {
        super("slotshift:azure:TrafficManager", name, {}, opts);
        const interval = args.probeIntervalSeconds ?? 30;
        const timeout = args.probeTimeoutSeconds ?? 10;
        if (interval !== 10 && interval !== 30) {
            throw new Error(`TrafficManager ${name}: probeIntervalSeconds is ${interval}; allowed: 10 or 30`);
        }
        if (timeout < 5 || timeout >= interval || timeout > 10) {
            throw new Error(`TrafficManager ${name}: probeTimeoutSeconds is ${timeout}; allowed: 5 to ${Math.min(10, interval - 1)}`);
        }
        if (!/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/.test(args.dnsName)) {
            throw new Error(`TrafficManager ${name}: dnsName is ${JSON.stringify(args.dnsName)}; allowed: a DNS label of at most 63 characters`);
        }
        const routing = trafficManagerWeights(args.live, args.candidateWeight);

        const profile = new Profile(
            `${name}-profile`,
            {
                resourceGroupName: args.resourceGroupName,
                profileName: args.dnsName,
                // Traffic Manager is a global service: its profile's location is always "global".
                location: "global",
                profileStatus: "Enabled",
                trafficRoutingMethod: "Weighted",
                dnsConfig: { relativeName: args.dnsName, ttl: args.ttl ?? 30 },
                monitorConfig: {
                    protocol: args.probeProtocol ?? "HTTP",
                    port: args.probePort ?? 80,
                    path: args.healthPath,
                    intervalInSeconds: interval,
                    timeoutInSeconds: timeout,
                    toleratedNumberOfFailures: args.toleratedFailures ?? 3,
                    expectedStatusCodeRanges: [{ min: 200, max: 299 }],
                },
                trafficViewEnrollmentStatus: "Disabled",
            },
            { parent: this },
        );

        this.profileId = profile.id;
        const endpoints = {} as Record<SlotColour, Endpoint>;
        const order = args.raising ? [args.raising, SLOT_COLOURS.find((c) => c !== args.raising)!] : [...SLOT_COLOURS];
        for (const colour of order) {
            const first = colour === order[0] || !args.raising ? [] : [endpoints[order[0]]];
            endpoints[colour] = new Endpoint(
                `${name}-${colour}`,
                {
                    resourceGroupName: args.resourceGroupName,
                    profileName: profile.name.apply((n) => n ?? args.dnsName),
                    endpointType: "ExternalEndpoints",
                    endpointName: colour,
                    target: args.slots[colour].target,
                    weight: routing[colour].weight,
                    endpointStatus: routing[colour].status,
                },
                // Routing waits for the slot to be ready: an update never sends traffic to pods that are not.
                { parent: this, dependsOn: [...args.slots[colour].readyWhen, ...first] },
            );
        }
        this.endpoints = endpoints;
        this.fqdn = pulumi.output(`${args.dnsName}.trafficmanager.net`);
        this.registerOutputs({ fqdn: this.fqdn });
    }
}
