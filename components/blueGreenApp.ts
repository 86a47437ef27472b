import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { Provider as DockerProvider } from "@pulumi/docker";
import { Secret } from "@pulumi/kubernetes/core/v1";
import { SLOT_COLOURS, SlotColour, SlotshiftConfig, otherSlot } from "../rollout/config";
import { Decision } from "../rollout/decide";
import { RolloutState, isRunning } from "../rollout/state";
import { buildMetadata } from "../rollout/versions";
import { ContainerImage } from "./containerImage";
import { GatewayRoute } from "./gatewayRoute";
import { PlannedJob, releaseJob, releaseJobPlan } from "./releaseJobs";
import { Slot } from "./slot";
import { TrafficManager } from "./trafficManager";

export interface BlueGreenAppArgs {
    /** The stack's parsed config. */
    readonly config: SlotshiftConfig;
    /** The rollout decision for this update: what the slots and the router are set to. */
    readonly decision: Decision;
    /** The stack name: prefixes public names, so stacks never collide. */
    readonly stack: string;
    /** The Azure region of the slots' load balancers: the cluster's, as Azure reports it. */
    readonly location: pulumi.Input<string>;
    /** The resource group of the Azure resources. */
    readonly resourceGroupName: pulumi.Input<string>;
    /** The namespace of the Kubernetes objects. */
    readonly namespace: pulumi.Input<string>;
    /** The project root, for a dev build context. @default the working directory */
    readonly root?: string;
    /** Credentials of a private registry; the password a Pulumi secret. */
    readonly registry?: { readonly username: string; readonly password: pulumi.Input<string> };
    /** The Secret with the Application Insights connection string, passed to every slot. */
    readonly telemetrySecret?: pulumi.Input<string>;
}

/** The `endpoints` output: the public name and each slot's own name. */
export interface EndpointsOutput {
    /** `http` or `https`: how the names answer (the router's probe protocol). */
    readonly scheme: string;
    readonly public: string;
    readonly blue: string | null;
    readonly green: string | null;
}

/**
 * The app of one stack: an image and a slot per colour (one slot with strategy
 * direct), and the router the config chooses between them.
 */
export class BlueGreenApp extends pulumi.ComponentResource {
    /** The `rollout` output. */
    public readonly rollout: pulumi.Output<RolloutState>;
    /** The `endpoints` output. */
    public readonly endpoints: pulumi.Output<EndpointsOutput>;
    /** The Traffic Manager profile's ID, when that is the router. */
    public readonly trafficManagerProfileId?: pulumi.Output<string>;

    constructor(name: string, args: BlueGreenAppArgs, opts?: pulumi.ComponentResourceOptions) {
        super("slotshift:app:BlueGreenApp", name, {}, opts);
        const cfg = args.config;
        const r = cfg.rollout;
        const direct = r.strategy === "direct";
        const colours: SlotColour[] = direct ? [r.live] : [...SLOT_COLOURS];

        // Which slots need Docker: a digest to look up (no digest known), a dev build, moving tags.
        const withVersion = colours.filter((c) => cfg.slots[c].version !== undefined);
        const needsDocker =
            withVersion.some((c) => args.decision.knownDigests[c] === undefined) ||
            cfg.app.buildContext !== undefined ||
            cfg.app.publishMovingTags;
        // Those go through a Docker provider of the app's own with the daemon check off, and a private
        // registry's credentials. It is registered only when needed: pulumi-docker 5 pings a Docker
        // daemon when its provider is configured whatever disableDockerDaemonCheck says
        // (pulumi/pulumi-docker#1106), so a stack whose digests are all known (slotshift start
        // --resolve-digest, or promoted) previews and deploys with no Docker engine at all. The pods
        // pull a private registry's images with a Secret. The password stays a Pulumi secret in both.
        const server = cfg.app.image.includes("/") && /[.:]/.test(cfg.app.image.split("/")[0]) ? cfg.app.image.split("/")[0] : "docker.io";
        const password = args.registry && pulumi.secret(args.registry.password);
        const docker = needsDocker
            ? new DockerProvider(
                  `${name}-registry`,
                  {
                      disableDockerDaemonCheck: true,
                      ...(args.registry === undefined ? {} : { registryAuth: [{ address: server, username: args.registry.username, password: password! }] }),
                  },
                  { parent: this },
              )
            : undefined;
        const imageOpts: pulumi.ComponentResourceOptions = docker === undefined ? { parent: this } : { parent: this, providers: { docker } };
        let pullSecret: pulumi.Output<string> | undefined;
        if (args.registry && password) {
            const user = args.registry.username;
            const auth = password.apply((p) => JSON.stringify({ auths: { [server]: { username: user, password: p, auth: Buffer.from(`${user}:${p}`).toString("base64") } } }));
            const secret = new Secret(
                `${name}-registry-secret`,
                {
                    metadata: { name: `${cfg.app.name}-registry`, namespace: args.namespace, labels: { app: cfg.app.name } },
                    type: "kubernetes.io/dockerconfigjson",
                    stringData: { ".dockerconfigjson": auth },
                },
                { parent: this },
            );
            pullSecret = secret.metadata.name;
        }

        // One image per slot that has a version; an empty slot keeps the live image at 0 replicas.
        const images: Partial<Record<SlotColour, ContainerImage>> = {};
        for (const colour of colours) {
            const s = cfg.slots[colour];
            if (s.version === undefined) {
                continue;
            }
            images[colour] = new ContainerImage(
                `${name}-${colour}-image`,
                {
                    repository: cfg.app.image,
                    environment: cfg.environment,
                    version: s.version,
                    gitSha: s.gitSha,
                    digest: args.decision.knownDigests[colour],
                    buildContext: cfg.app.buildContext === undefined || colour !== r.live ? undefined : path.resolve(args.root ?? ".", cfg.app.buildContext),
                    // Moving tags follow what is live, never the candidate.
                    publishMovingTags: cfg.app.publishMovingTags && colour === r.live,
                },
                imageOpts,
            );
        }
        const liveImage = images[r.live]!;

        // The release's Jobs (components/releaseJobs.ts): none without slotshift:migrations and slotshift:hooks.
        const plan = releaseJobPlan(cfg, args.decision.raising, args.decision.state.expanded);
        const migrations = cfg.migrations;
        const registerJob = (job: PlannedJob, extra: { targetUrl?: pulumi.Input<string> }, dependsOn?: pulumi.Resource[]) =>
            releaseJob(
                `${name}-${job.id}`,
                {
                    job,
                    app: cfg.app.name,
                    environment: cfg.environment,
                    namespace: args.namespace,
                    slotImage: images[job.slot]!.ref,
                    databaseSecret: migrations && (job.kind === "expand" || job.kind === "contract") ? migrations.databaseSecret : undefined,
                    imagePullSecret: pullSecret,
                    ...extra,
                },
                dependsOn === undefined ? { parent: this } : { parent: this, dependsOn },
            );
        // An expand migration runs before the Deployments of its build change: each such Deployment waits for it.
        const expandOf: Partial<Record<SlotColour, pulumi.Resource>> = {};
        for (const job of plan.jobs.filter((j) => j.kind === "expand")) {
            const registered = registerJob(job, {});
            for (const c of job.slots) {
                expandOf[c] = registered;
            }
        }

        const slots = {} as Record<SlotColour, Slot>;
        for (const colour of colours) {
            const s = cfg.slots[colour];
            const image = images[colour] ?? liveImage;
            const expand = expandOf[colour];
            slots[colour] = new Slot(
                `${name}-${colour}`,
                {
                    app: cfg.app.name,
                    colour,
                    environment: cfg.environment,
                    namespace: args.namespace,
                    image: image.ref,
                    version: s.version ?? null,
                    build: s.version === undefined ? undefined : buildMetadata({ ...s, environment: cfg.environment, version: s.version }),
                    // The decision sizes each slot (rollout/state.ts, slotReplicas): a proportional canary's
                    // candidate to its share, scaled up in the same update as the share rises; the router below
                    // waits for this Deployment, so the pods are ready before the share reaches them.
                    replicas: args.decision.state.replicas[colour],
                    ...(cfg.app.autoscale === undefined ? {} : { autoscale: { max: cfg.app.autoscale.max, cpuPercent: cfg.app.autoscale.cpuPercent } }),
                    spread: cfg.capacity.spread,
                    // With one slot (direct) there is no other slot to keep apart from.
                    slotsApart: direct ? "off" : cfg.capacity.slotsApart,
                    port: cfg.app.port,
                    healthPath: cfg.app.healthPath,
                    livenessPath: cfg.app.livenessPath,
                    dnsLabel: `${cfg.app.name}-${args.stack}-${colour}`,
                    location: args.location,
                    publicPort: cfg.traffic.probePort,
                    telemetrySecret: args.telemetrySecret,
                    poolSize: cfg.alerts.dbConnections.max,
                    imagePullSecret: pullSecret,
                    ...(expand === undefined ? {} : { waitFor: [expand] }),
                },
                { parent: this },
            );
        }

        // Hooks test the candidate's pods through its Service, once its Deployment is applied; the router
        // waits for them only when this update raises the candidate's weight (plan.routerWaitsForHooks).
        const hookJobs: pulumi.Resource[] = [];
        for (const job of plan.jobs.filter((j) => j.kind === "pre-traffic" || j.kind === "per-step")) {
            hookJobs.push(registerJob(job, { targetUrl: slots[job.slot].clusterUrl }, [slots[job.slot].deployment]));
        }
        const hookWait = (colour: SlotColour): pulumi.Resource[] => (plan.routerWaitsForHooks && colour === otherSlot(r.live) ? hookJobs : []);
        // A slot's autoscaler, when it has one: routing changes only once its minimum (the decision's pods) is
        // accepted. The pods it adds are the HPA controller's to start, after that (README, "What a stack deploys").
        const autoscalerOf = (colour: SlotColour): pulumi.Resource[] => {
            const hpa = slots[colour].autoscaler;
            return hpa === undefined ? [] : [hpa];
        };
        // The contract runs after this update's slot changes: it waits for every Deployment.
        for (const job of plan.jobs.filter((j) => j.kind === "contract")) {
            registerJob(job, {}, colours.map((c) => slots[c].deployment));
        }

        // What must have been applied for this update's rollout state to be true: every slot's
        // Deployment and the router. A rollout output that waited on less would be recorded by a failed
        // update as if its step had happened, and the next update would decide from a state that never was.
        const applied: pulumi.Output<unknown>[] = colours.map((c) => slots[c].deployment.id);
        let publicName: pulumi.Output<string>;
        if (direct) {
            publicName = slots[r.live].hostname;
        } else if (cfg.traffic.router === "traffic-manager") {
            const tm = new TrafficManager(
                `${name}-traffic`,
                {
                    resourceGroupName: args.resourceGroupName,
                    dnsName: cfg.traffic.dnsName ?? `${cfg.app.name}-${args.stack}`,
                    ttl: cfg.traffic.ttl,
                    healthPath: cfg.app.healthPath,
                    probeProtocol: cfg.traffic.probeProtocol,
                    probePort: cfg.traffic.probePort,
                    probeIntervalSeconds: cfg.traffic.probeIntervalSeconds,
                    probeTimeoutSeconds: cfg.traffic.probeTimeoutSeconds,
                    toleratedFailures: cfg.alerts.healthFailures,
                    live: r.live,
                    candidateWeight: r.weight,
                    raising: args.decision.raising,
                    slots: {
                        // Routing waits for the slot's pods and for its Service's public address, and on a step up
                        // of the candidate, for the hooks that test it.
                        blue: { target: slots.blue.hostname, readyWhen: [slots.blue.deployment, slots.blue.service, ...autoscalerOf("blue"), ...hookWait("blue")] },
                        green: { target: slots.green.hostname, readyWhen: [slots.green.deployment, slots.green.service, ...autoscalerOf("green"), ...hookWait("green")] },
                    },
                },
                { parent: this },
            );
            publicName = tm.fqdn;
            applied.push(tm.endpoints.blue.id, tm.endpoints.green.id);
            this.trafficManagerProfileId = tm.profileId;
        } else {
            const route = new GatewayRoute(
                `${name}-route`,
                {
                    app: cfg.app.name,
                    namespace: args.namespace,
                    gateway: cfg.traffic.gateway,
                    hostnames: cfg.traffic.hostnames,
                    services: { blue: slots.blue.serviceName, green: slots.green.serviceName },
                    port: cfg.traffic.probePort,
                    live: r.live,
                    candidateWeight: r.weight,
                    pinTenants: args.decision.state.pinTenants && isRunning(cfg, otherSlot(r.live)),
                    tenantHeader: cfg.traffic.tenantHeader,
                    pinnedTenants: cfg.traffic.pinnedTenants,
                    readyWhen: [
                        slots.blue.deployment,
                        slots.green.deployment,
                        slots.blue.service,
                        slots.green.service,
                        ...autoscalerOf("blue"),
                        ...autoscalerOf("green"),
                        ...hookWait(otherSlot(r.live)),
                    ],
                },
                { parent: this },
            );
            publicName = pulumi.output(cfg.traffic.hostnames[0] ?? slots[r.live].hostname);
            applied.push(route.routeName);
        }

        const digestOf = (colour: SlotColour): pulumi.Output<string | null> => {
            const image = images[colour];
            return image === undefined ? pulumi.output(null) : image.digest;
        };
        this.rollout = pulumi
            .all([digestOf("blue"), digestOf("green"), pulumi.all(applied)])
            .apply(([blue, green]): RolloutState => ({ ...args.decision.state, digests: { blue, green } }));
        this.endpoints = pulumi
            .all([publicName, slots.blue?.hostname ?? null, slots.green?.hostname ?? null])
            .apply(([pub, blue, green]) => ({ scheme: cfg.traffic.probeProtocol.toLowerCase(), public: pub, blue, green }));
        this.registerOutputs({ rollout: this.rollout, endpoints: this.endpoints });
    }
}
