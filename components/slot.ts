import * as pulumi from "@pulumi/pulumi";
import { Deployment } from "@pulumi/kubernetes/apps/v1";
import { HorizontalPodAutoscaler } from "@pulumi/kubernetes/autoscaling/v2";
import { Service } from "@pulumi/kubernetes/core/v1";
import { PodDisruptionBudget } from "@pulumi/kubernetes/policy/v1";
import { SlotColour, otherSlot } from "../rollout/config";
import { roleName } from "../rollout/alerts";
import { labelValue } from "../rollout/routing";
import { BuildMetadata } from "../rollout/versions";
import { CONNECTION_STRING_KEY } from "./telemetry";

/** Requests and limits of the app container. */
export interface SlotResources {
    readonly requests: { readonly cpu: string; readonly memory: string };
    readonly limits: { readonly cpu: string; readonly memory: string };
}

export interface SlotArgs {
    /** The app's name: the `app` label and the prefix of object names. */
    readonly app: string;
    /** The slot's colour: the `slot` label and the `SLOT` env var. */
    readonly colour: SlotColour;
    /** dev, staging or prod: the `ENVIRONMENT` env var. */
    readonly environment: string;
    /** The namespace the slot's objects live in. */
    readonly namespace: pulumi.Input<string>;
    /** The immutable image reference, `repository@sha256:<digest>`. */
    readonly image: pulumi.Input<string>;
    /** The version the slot runs, or null for an empty slot. */
    readonly version: string | null;
    /** Build metadata of that version, carried as annotations. */
    readonly build?: BuildMetadata;
    /**
     * Pods to run: the rollout decision's `replicas` of this slot (rollout/state.ts, slotReplicas); 0 for an
     * empty or decommissioned slot, whose objects are kept. With `autoscale`, the autoscaler's minimum.
     */
    readonly replicas: number;
    /**
     * A HorizontalPodAutoscaler for the slot while it runs (replicas > 0): from `replicas` up to
     * max(`max`, `replicas`) pods, at `cpuPercent` of the pods' CPU requests. The Deployment then leaves
     * its replica count to it. @default none: the Deployment runs `replicas`
     */
    readonly autoscale?: { readonly max: number; readonly cpuPercent: number };
    /**
     * How the slot's pods spread over zones and nodes: `soft` (ScheduleAnyway) or `hard` (DoNotSchedule).
     * @default soft
     */
    readonly spread?: "soft" | "hard";
    /**
     * The other slot's pods kept off this slot's nodes: `soft` (preferred), `hard` (required) or `off`.
     * @default soft
     */
    readonly slotsApart?: "soft" | "hard" | "off";
    /** The port the container listens on. */
    readonly port: number;
    /** The path of the readiness and liveness probes. */
    readonly healthPath: string;
    /** The liveness probe's path, when it should check less than the health path. @default healthPath */
    readonly livenessPath?: string;
    /** The Azure DNS label of the slot's load balancer: its own public name, for smoke tests. */
    readonly dnsLabel: string;
    /** The Azure region, to spell the public name `<label>.<region>.cloudapp.azure.com`. */
    readonly location: pulumi.Input<string>;
    /** The port the slot's load balancer publishes (the router's probe port). @default 80 */
    readonly publicPort?: number;
    /** Requests and limits. @default 100m/128Mi requested, 500m/256Mi limit */
    readonly resources?: SlotResources;
    /** The `kubernetes.io/dockerconfigjson` Secret the pods pull their image with (a private registry). */
    readonly imagePullSecret?: pulumi.Input<string>;
    /** The Secret holding the Application Insights connection string; the app's telemetry is named `<app>-<colour>`. */
    readonly telemetrySecret?: pulumi.Input<string>;
    /** The size of each pod's database connection pool (`DATABASE_POOL_MAX`): the pool alert rules' 100 %. @default 20 */
    readonly poolSize?: number;
    /**
     * What the Deployment waits for before it changes: the expand migration Job of the slot's build
     * (components/releaseJobs.ts). Set on the Deployment itself, not on the Slot: a component's
     * `dependsOn` is not inherited by its children. Pulumi's `parent` page
     * (https://www.pulumi.com/docs/iac/concepts/resources/options/parent/) says only that a child
     * "inherits additional resource options from its parent"; the options that are inherited say so on
     * their own pages (`protect`, `retainOnDelete`: "The default is to inherit this value from the parent
     * resource"), and `dependsOn`'s page (https://www.pulumi.com/docs/iac/concepts/resources/options/dependson/)
     * says no such thing; the Node.js SDK (@pulumi/pulumi 3.248, runtime/resource.js) gathers a resource's
     * explicit dependencies from its own `opts.dependsOn` only. A dependsOn-only dependency also keeps a
     * replaced Job (delete before replace: it has a fixed name) from replacing the Deployment: the engine
     * replaces a dependent only when an input of it changes (pulumi/pulumi#838). @default nothing
     */
    readonly waitFor?: pulumi.Input<pulumi.Resource>[];
}

export const DEFAULT_RESOURCES: SlotResources = {
    requests: { cpu: "100m", memory: "128Mi" },
    limits: { cpu: "500m", memory: "256Mi" },
};

/** The user the container runs as: not root, not a user the image must define. */
export const RUN_AS_USER = 10001;

/** The pod's security context: non-root user RUN_AS_USER, the runtime's seccomp profile. The release Jobs' pods run the same. */
export const POD_SECURITY = {
    runAsNonRoot: true,
    runAsUser: RUN_AS_USER,
    runAsGroup: RUN_AS_USER,
    fsGroup: RUN_AS_USER,
    seccompProfile: { type: "RuntimeDefault" },
} as const;

/** The container's: read-only root filesystem, no privilege, no capability. The release Jobs' containers run the same. */
export const CONTAINER_SECURITY = {
    runAsNonRoot: true,
    readOnlyRootFilesystem: true,
    allowPrivilegeEscalation: false,
    privileged: false,
    capabilities: { drop: ["ALL"] },
} as const;

/**
 * One colour of the app: a Deployment, a LoadBalancer Service with its own
 * public DNS name, and a PodDisruptionBudget. An empty or decommissioned slot
 * keeps its objects at 0 replicas: the fastest way back is one that exists.
 */
export class Slot extends pulumi.ComponentResource {
    /** The Deployment: routers depend on it, so traffic never reaches a slot that is not ready. */
    public readonly deployment: Deployment;
    /**
     * The LoadBalancer Service: Pulumi's Kubernetes provider counts it ready only once Azure has
     * given it a public address, so routing that depends on it never points at a name with no address.
     */
    public readonly service: Service;
    /**
     * The slot's HorizontalPodAutoscaler, while it runs with `autoscale`. Routing may wait for it: its
     * minimum is then accepted, though the pods it adds may still be starting (README, "What a stack deploys").
     */
    public readonly autoscaler?: HorizontalPodAutoscaler;
    /** The Service's name inside the namespace. */
    public readonly serviceName: pulumi.Output<string>;
    /** The slot's own public name, `<label>.<region>.cloudapp.azure.com`. */
    public readonly hostname: pulumi.Output<string>;
    /** The slot's URL inside the cluster, `http://<service>.<namespace>.svc.cluster.local:<the Service's port>`: what hooks test. */
    public readonly clusterUrl: pulumi.Output<string>;

    constructor(name: string, args: SlotArgs, opts?: pulumi.ComponentResourceOptions) {
        super("slotshift:kubernetes:Slot", name, {}, opts);
        if (!Number.isInteger(args.replicas) || args.replicas < 0) {
            throw new Error(`Slot ${name}: replicas is ${args.replicas}; allowed: a whole number from 0`);
        }
        if (!Number.isInteger(args.port) || args.port < 1 || args.port > 65535) {
            throw new Error(`Slot ${name}: port is ${args.port}; allowed: 1 to 65535`);
        }
        if (!/^[a-z][a-z0-9-]{1,61}[a-z0-9]$/.test(args.dnsLabel)) {
            throw new Error(`Slot ${name}: dnsLabel is ${JSON.stringify(args.dnsLabel)}; allowed: 3 to 63 of a-z, 0-9 and '-', starting with a letter`);
        }
        const autoscale = args.autoscale;
        if (autoscale !== undefined) {
            if (!Number.isInteger(autoscale.max) || autoscale.max < 1) {
                throw new Error(`Slot ${name}: autoscale.max is ${autoscale.max}; allowed: a whole number from 1`);
            }
            if (!Number.isInteger(autoscale.cpuPercent) || autoscale.cpuPercent < 1 || autoscale.cpuPercent > 100) {
                throw new Error(`Slot ${name}: autoscale.cpuPercent is ${autoscale.cpuPercent}; allowed: 1 to 100`);
            }
        }
        // An autoscaler only for a slot that runs: the HPA controller does not scale a target at 0 replicas.
        const autoscaled = autoscale !== undefined && args.replicas > 0;
        const resources = args.resources ?? DEFAULT_RESOURCES;
        const publicPort = args.publicPort ?? 80;
        const objectName = `${args.app}-${args.colour}`;
        const selector = { app: args.app, slot: args.colour };
        const labels = { ...selector, version: args.version === null ? "none" : labelValue(args.version) };
        const annotations: Record<string, string> = { "slotshift.io/version": args.version ?? "" };
        if (args.build) {
            for (const [k, v] of Object.entries(args.build)) {
                if (v !== null) {
                    annotations[`slotshift.io/${k.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`] = String(v);
                }
            }
        }

        // With an autoscaler the Deployment leaves `spec.replicas` out: the HPA controller writes it (through
        // the scale subresource, as field manager kube-controller-manager). Pulumi's Kubernetes provider v4
        // applies server-side and does not force conflicts unless asked (the `pulumi.com/patchForce`
        // annotation: https://www.pulumi.com/registry/packages/kubernetes/how-to-guides/managing-resources-with-server-side-apply/,
        // "Handle Field Conflicts on Existing Resources"), so a Deployment that kept setting `replicas` would
        // fail its next update with "conflict with kube-controller-manager with subresource scale: .spec.replicas"
        // once the autoscaler has scaled it (pulumi/pulumi-kubernetes#2491, #2569); Kubernetes' own advice is to
        // remove `replicas` from the configuration (https://kubernetes.io/docs/reference/using-api/server-side-apply/,
        // "Transferring ownership"). The same page names the cost: a field no other manager owns is reset to its
        // default when the applier stops setting it, so the first update that drops `replicas` runs the
        // Deployment at 1 pod until the autoscaler raises it to `minReplicas` (its sync period, 15 s by default,
        // then the pods' start-up). A slot going from 0 to running passes through that harmlessly; turning
        // autoscaling on for a running slot should hand `replicas` over first (the README says how).
        // A slot at 0 sets `replicas: 0` again while the autoscaler may still own the field (its HPA is deleted
        // only at the end of the update, and its ownership stays recorded on the object): with an autoscaler
        // configured it forces, so decommissioning a slot never fails on that conflict.
        const deploymentAnnotations: Record<string, string> = autoscale !== undefined && !autoscaled ? { ...annotations, "pulumi.com/patchForce": "true" } : annotations;
        // Spread each slot's pods over zones and nodes, counted per ReplicaSet (`pod-template-hash`), so a
        // rolling update spreads its new pods by themselves rather than around the old ones it replaces
        // (https://kubernetes.io/docs/concepts/scheduling-eviction/topology-spread-constraints/, matchLabelKeys;
        // beta and on by default since Kubernetes 1.27, KEP-3243).
        const whenUnsatisfiable = (args.spread ?? "soft") === "hard" ? "DoNotSchedule" : "ScheduleAnyway";
        const topologySpreadConstraints = ["topology.kubernetes.io/zone", "kubernetes.io/hostname"].map((topologyKey) => ({
            maxSkew: 1,
            topologyKey,
            whenUnsatisfiable,
            labelSelector: { matchLabels: { ...selector } },
            matchLabelKeys: ["pod-template-hash"],
        }));
        // The two slots kept off each other's nodes: a node lost takes at most one slot's pods with it.
        const otherSlotPods = { labelSelector: { matchLabels: { app: args.app, slot: otherSlot(args.colour) } }, topologyKey: "kubernetes.io/hostname" };
        const slotsApart = args.slotsApart ?? "soft";
        const affinity =
            slotsApart === "off"
                ? undefined
                : slotsApart === "hard"
                  ? { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [otherSlotPods] } }
                  : { podAntiAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 100, podAffinityTerm: otherSlotPods }] } };

        this.deployment = new Deployment(
            `${name}-deployment`,
            {
                metadata: { name: objectName, namespace: args.namespace, labels, annotations: deploymentAnnotations },
                spec: {
                    ...(autoscaled ? {} : { replicas: args.replicas }),
                    // The selector never holds the version: a selector cannot change in place.
                    selector: { matchLabels: selector },
                    // Never take a replica away before its replacement is ready.
                    strategy: { type: "RollingUpdate", rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } },
                    minReadySeconds: 5,
                    revisionHistoryLimit: 5,
                    template: {
                        metadata: { labels, annotations },
                        spec: {
                            automountServiceAccountToken: false,
                            ...(args.imagePullSecret === undefined ? {} : { imagePullSecrets: [{ name: args.imagePullSecret }] }),
                            securityContext: { ...POD_SECURITY, seccompProfile: { ...POD_SECURITY.seccompProfile } },
                            terminationGracePeriodSeconds: 30,
                            topologySpreadConstraints,
                            ...(affinity === undefined ? {} : { affinity }),
                            containers: [
                                {
                                    name: args.app,
                                    image: args.image,
                                    imagePullPolicy: "IfNotPresent",
                                    ports: [{ name: "http", containerPort: args.port, protocol: "TCP" }],
                                    env: [
                                        { name: "SLOT", value: args.colour },
                                        { name: "APP_VERSION", value: args.version ?? "" },
                                        { name: "ENVIRONMENT", value: args.environment },
                                        { name: "PORT", value: String(args.port) },
                                        // The telemetry contract: the pool the app reports is the pool the rules measure against.
                                        { name: "DATABASE_POOL_MAX", value: String(args.poolSize ?? 20) },
                                        ...(args.telemetrySecret === undefined
                                            ? []
                                            : [
                                                  // The slot's requests carry its role name: alerts and the dashboard tell the slots apart by it.
                                                  { name: "OTEL_SERVICE_NAME", value: roleName(args.app, args.colour) },
                                                  {
                                                      name: "OTEL_RESOURCE_ATTRIBUTES",
                                                      value: `service.version=${args.version ?? "none"},deployment.environment=${args.environment}`,
                                                  },
                                                  {
                                                      name: "APPLICATIONINSIGHTS_CONNECTION_STRING",
                                                      valueFrom: { secretKeyRef: { name: args.telemetrySecret, key: CONNECTION_STRING_KEY } },
                                                  },
                                              ]),
                                    ],
                                    // Start-up has a probe of its own (up to 2 minutes): readiness and liveness run
                                    // only once it has passed, so their failures, which the health alert counts,
                                    // are never the start-up's ("Startup probe failed" events are left out).
                                    startupProbe: {
                                        httpGet: { path: args.livenessPath ?? args.healthPath, port: "http" },
                                        periodSeconds: 5,
                                        failureThreshold: 24,
                                    },
                                    readinessProbe: {
                                        httpGet: { path: args.healthPath, port: "http" },
                                        periodSeconds: 5,
                                        failureThreshold: 3,
                                    },
                                    livenessProbe: {
                                        httpGet: { path: args.livenessPath ?? args.healthPath, port: "http" },
                                        periodSeconds: 10,
                                        failureThreshold: 3,
                                    },
                                    resources: {
                                        requests: { ...resources.requests },
                                        limits: { ...resources.limits },
                                    },
                                    securityContext: { ...CONTAINER_SECURITY, capabilities: { drop: [...CONTAINER_SECURITY.capabilities.drop] } },
                                    volumeMounts: [{ name: "tmp", mountPath: "/tmp" }],
                                },
                            ],
                            // The root filesystem is read-only; /tmp is the one writable place.
                            volumes: [{ name: "tmp", emptyDir: { sizeLimit: "64Mi" } }],
                        },
                    },
                },
            },
            args.waitFor === undefined ? { parent: this } : { parent: this, dependsOn: args.waitFor },
        );

        const service = (this.service = new Service(
            `${name}-service`,
            {
                metadata: {
                    name: objectName,
                    namespace: args.namespace,
                    labels: selector,
                    annotations: { "service.beta.kubernetes.io/azure-dns-label-name": args.dnsLabel },
                },
                spec: {
                    type: "LoadBalancer",
                    selector,
                    ports: [{ name: "public", port: publicPort, targetPort: "http", protocol: "TCP" }],
                },
            },
            { parent: this },
        ));

        new PodDisruptionBudget(
            `${name}-pdb`,
            {
                metadata: { name: objectName, namespace: args.namespace, labels: selector },
                spec: {
                    // At most one pod away at a time for voluntary disruptions: a full slot keeps all but one
                    // serving, and a drain is never blocked by it, since one healthy pod may always go, even a
                    // 1-pod canary's only pod (its share then waits for the replacement's start-up).
                    // minAvailable 1 would block every drain of a 1-pod slot.
                    maxUnavailable: 1,
                    // Pods that are not ready (a crash loop, a failing readiness probe) may always be evicted:
                    // they serve nothing, and under the default (IfHealthyBudget) they would block a drain while
                    // the slot is short of healthy pods. Recommended for drains by the Kubernetes docs
                    // (https://kubernetes.io/docs/tasks/run-application/configure-pdb/#unhealthy-pod-eviction-policy);
                    // stable since Kubernetes 1.31 (KEP-3017).
                    unhealthyPodEvictionPolicy: "AlwaysAllow",
                    selector: { matchLabels: selector },
                },
            },
            { parent: this },
        );

        if (autoscaled) {
            // The decision's pods are the autoscaler's floor; it never scales below them, so a proportional
            // canary keeps at least the pods its share needs, and a full slot at least app.replicas.
            this.autoscaler = new HorizontalPodAutoscaler(
                `${name}-hpa`,
                {
                    metadata: { name: objectName, namespace: args.namespace, labels: selector },
                    spec: {
                        scaleTargetRef: { apiVersion: "apps/v1", kind: "Deployment", name: this.deployment.metadata.name },
                        minReplicas: args.replicas,
                        maxReplicas: Math.max(autoscale.max, args.replicas),
                        // Utilization is of the containers' CPU requests (`resources.requests.cpu`, always set here).
                        metrics: [{ type: "Resource", resource: { name: "cpu", target: { type: "Utilization", averageUtilization: autoscale.cpuPercent } } }],
                    },
                },
                { parent: this },
            );
        }

        this.serviceName = service.metadata.name;
        this.hostname = pulumi.interpolate`${args.dnsLabel}.${args.location}.cloudapp.azure.com`;
        // The Service's own port (publicPort, to the container's "http"): in the cluster as outside it.
        this.clusterUrl = pulumi.interpolate`http://${this.serviceName}.${args.namespace}.svc.cluster.local:${publicPort}`;
        this.registerOutputs({ serviceName: this.serviceName, hostname: this.hostname, clusterUrl: this.clusterUrl });
    }
}
