/**
 * The release's Kubernetes Jobs: the expand and contract migrations (`slotshift:migrations`,
 * rollout/config/migrations.ts) and the test hooks that gate the traffic (`slotshift:hooks`,
 * rollout/config/hooks.ts).
 *
 * Which Jobs an update registers, and under which names, is a pure function of the config and the
 * decision (`releaseJobPlan`): `BlueGreenApp` registers what it says, and a bench or a preview can
 * say from it which Jobs an update runs (a Job runs when it is created: a name that appears) and which
 * it deletes (a name that goes). A Job's name and inputs depend only on what it is for (a build, a
 * contract, a build at a weight), never on what moves with a step (the weight, live, the phase), so an
 * update that does not change what it is for leaves it as it is, and it does not run again.
 *
 * How an update waits for a Job: the Pulumi Kubernetes provider waits for a batch/v1 Job to complete
 * and fails the update when it fails: "This resource waits until its status is ready ... 3. The Job's
 * '.status.conditions' do not have a status of type 'Failed' ... If the Job has not reached a Ready
 * state after 10 minutes, it will time out ... You can override the default timeout value by setting
 * the 'customTimeouts' option ... you can add the "pulumi.com/replaceUnready": "true" annotation"
 * (https://www.pulumi.com/docs/reference/pkg/kubernetes/batch/v1/job). So every Job here has
 * `customTimeouts` of its deadline plus 2 minutes (the provider gives up after Kubernetes does), and
 * `pulumi.com/replaceUnready`: a `pulumi up` after a failed Job replaces it (runs it again) instead of
 * waiting on the failed one forever.
 */
import * as pulumi from "@pulumi/pulumi";
import { Job } from "@pulumi/kubernetes/batch/v1";
import * as k8s from "@pulumi/kubernetes/types/input";
import { SLOT_COLOURS, SlotColour, SlotshiftConfig, otherSlot } from "../rollout/config";
// buildId (the first 10 hex digits of a SHA-256) names a Job by what it is for: a build, as the
// rollout output's `expanded` lists it, or the contract's command and requires.
import { buildId, buildOf, isRunning } from "../rollout/state";
import { CONTAINER_SECURITY, DEFAULT_RESOURCES, POD_SECURITY } from "./slot";

/** What a release Job is for: the `release-job` label's value. */
export type ReleaseJobKind = "expand" | "contract" | "pre-traffic" | "per-step";

/** One Job an update registers, as `releaseJobPlan` names it. */
export interface PlannedJob {
    readonly kind: ReleaseJobKind;
    /** The Job's logical name less the app component's name: `migrate-<hex>`, `hook-step-5-<hex>`. */
    readonly id: string;
    /** The Job's Kubernetes name: `<app>-<id>`. */
    readonly jobName: string;
    /** The slot whose image it runs (a hook without an image of its own, an expand, the contract: live) and whose SLOT and APP_VERSION it gets. */
    readonly slot: SlotColour;
    /** The version of that slot: APP_VERSION. */
    readonly version: string;
    /**
     * The slots whose Deployments wait for it (expand: every slot running its build), or that it waits
     * for (hooks: the candidate; contract: every slot).
     */
    readonly slots: readonly SlotColour[];
    /** The weight a per-step hook gates (SLOTSHIFT_WEIGHT); null for the others. */
    readonly weight: number | null;
    /** The container's command. */
    readonly command: readonly string[];
    /** The image a hook gives of its own; undefined: the slot's image. */
    readonly image?: string;
    /** Minutes it may run: its activeDeadlineSeconds, and (plus 2) how long the update waits for it. */
    readonly timeoutMinutes: number;
}

/** The release Jobs of one update. */
export interface ReleaseJobPlan {
    /** Every Job, in registration order: expands (blue first), then hooks (pre-traffic first), then the contract. */
    readonly jobs: readonly PlannedJob[];
    /**
     * Whether the router waits for the hooks: only when this update raises the candidate's weight. A
     * rollback or a step back never waits for a hook (and does not depend on one).
     */
    readonly routerWaitsForHooks: boolean;
}

/** Kubernetes' limit on a Job's name: its pods carry it as a label value (`batch.kubernetes.io/job-name`). */
const JOB_NAME_MAX = 63;

/**
 * The Jobs an update registers, from the config and the slot this update raises (`Decision.raising`).
 * Pure; `BlueGreenApp` registers exactly these.
 *
 * - expand (`migrations.expand`): one per build that runs (a slot with a version, not decommissioned)
 *   and is in `expanded` (the decision's: deployed while migrations were declared), named by the
 *   build: a slot's Deployment waits for the Job of its build. Two slots running one build share it;
 *   nothing of a slot reaches it (no SLOT), so it stays as it is when one of them changes.
 * - pre-traffic (`hooks.preTraffic`): while the candidate's weight is above 0, named by its build: it
 *   runs when the weight leaves 0 and goes when it returns to 0.
 * - per-step (`hooks.perStep`): while the candidate's weight is above 0, named by its build and weight.
 * - contract (`migrations.contract`): while declared, named by its command and `requires`, with the live
 *   slot's image. Whether it may be declared is rule contract-after-every-slot's.
 *
 * @throws Error naming the Job when a name would pass Kubernetes' 63 characters
 */
export function releaseJobPlan(cfg: SlotshiftConfig, raising: SlotColour | null, expanded?: readonly string[]): ReleaseJobPlan {
    const app = cfg.app.name;
    const r = cfg.rollout;
    const direct = r.strategy === "direct";
    const jobs: PlannedJob[] = [];
    const add = (job: Omit<PlannedJob, "jobName">) => {
        const jobName = `${app}-${job.id}`;
        if (jobName.length > JOB_NAME_MAX) {
            throw new Error(
                `the ${job.kind} Job's name ${jobName} has ${jobName.length} characters; allowed: at most ${JOB_NAME_MAX} (a shorter slotshift:app.name)`,
            );
        }
        jobs.push({ ...job, jobName });
    };
    const versionOf = (c: SlotColour) => cfg.slots[c].version ?? "";
    const colours: SlotColour[] = direct ? [r.live] : [...SLOT_COLOURS];

    const expand = cfg.migrations?.expand;
    if (expand !== undefined) {
        const byBuild = new Map<string, SlotColour[]>();
        for (const c of colours.filter((x) => isRunning(cfg, x))) {
            const build = buildOf(cfg, c)!;
            byBuild.set(build, [...(byBuild.get(build) ?? []), c]);
        }
        for (const [build, slots] of byBuild) {
            // Only a build the decision says runs its expand (rollout output `expanded`): one deployed while
            // migrations were declared, never one already running when they were first declared.
            if (expanded !== undefined && !expanded.includes(buildId(build))) {
                continue;
            }
            add({ kind: "expand", id: `migrate-${buildId(build)}`, slot: slots[0], version: versionOf(slots[0]), slots, weight: null, command: expand.command, timeoutMinutes: expand.timeoutMinutes });
        }
    }

    const candidate = otherSlot(r.live);
    const hooksRun = !direct && r.weight > 0 && isRunning(cfg, candidate);
    const hooks = cfg.hooks;
    if (hooksRun && hooks !== undefined) {
        const build = buildId(buildOf(cfg, candidate)!);
        const common = { slot: candidate, version: versionOf(candidate), slots: [candidate] };
        if (hooks.preTraffic !== undefined) {
            const h = hooks.preTraffic;
            add({ kind: "pre-traffic", id: `hook-pre-${build}`, ...common, weight: null, command: h.command, image: h.image, timeoutMinutes: h.timeoutMinutes });
        }
        if (hooks.perStep !== undefined) {
            const h = hooks.perStep;
            add({ kind: "per-step", id: `hook-step-${r.weight}-${build}`, ...common, weight: r.weight, command: h.command, image: h.image, timeoutMinutes: h.timeoutMinutes });
        }
    }

    const contract = cfg.migrations?.contract;
    if (contract !== undefined) {
        const id = `contract-${buildId(JSON.stringify({ command: contract.command, requires: contract.requires }))}`;
        add({ kind: "contract", id, slot: r.live, version: versionOf(r.live), slots: colours, weight: null, command: contract.command, timeoutMinutes: contract.timeoutMinutes });
    }

    const anyHook = jobs.some((j) => j.kind === "pre-traffic" || j.kind === "per-step");
    return { jobs, routerWaitsForHooks: anyHook && raising === candidate };
}

/** What one release Job's registration needs beyond its plan. */
export interface ReleaseJobArgs {
    /** The Job as `releaseJobPlan` planned it. */
    readonly job: PlannedJob;
    /** The app's name: the `app` label. */
    readonly app: string;
    /** dev, staging or prod: the ENVIRONMENT env var. */
    readonly environment: string;
    /** The namespace the Job runs in. */
    readonly namespace: pulumi.Input<string>;
    /** The image it runs when the plan gives none: the slot's own `repository@sha256:<digest>`. */
    readonly slotImage: pulumi.Input<string>;
    /** The Secret and key of the database URL (DATABASE_URL): migrations only. */
    readonly databaseSecret?: { readonly name: string; readonly key: string };
    /** The candidate's in-cluster URL (TARGET_URL): hooks only. */
    readonly targetUrl?: pulumi.Input<string>;
    /** The `kubernetes.io/dockerconfigjson` Secret the pod pulls its image with (a private registry). */
    readonly imagePullSecret?: pulumi.Input<string>;
}


/**
 * Registers one release Job (a `batch/v1` Job, under the caller's parent), run once: no retry
 * (`backoffLimit: 0`: a migration is not retried blindly), a deadline, and no
 * `ttlSecondsAfterFinished`: it stays, with its logs, while what it is for does; Pulumi deletes it when
 * that goes. `opts` carries the parent and what it waits for; this adds its timeouts (and, for the
 * contract, `ignoreChanges: ["spec"]`: a finalize changes the live image, which must not replace the
 * contract's Job and run it again).
 *
 * Its pods are labelled `app` and `release-job`, never `slot`: the slots' Services and
 * PodDisruptionBudgets select `app` and `slot`, and must not send traffic to a Job's pod or count it.
 */
export function releaseJob(name: string, args: ReleaseJobArgs, opts: pulumi.CustomResourceOptions): Job {
    const job = args.job;
    const migration = job.kind === "expand" || job.kind === "contract";
    if (migration && args.databaseSecret === undefined) {
        throw new Error(`releaseJob ${name}: a ${job.kind} migration without databaseSecret; allowed: slotshift:migrations.databaseSecret's name and key`);
    }
    if (!migration && args.targetUrl === undefined) {
        throw new Error(`releaseJob ${name}: a ${job.kind} hook without targetUrl; allowed: the candidate's in-cluster Service URL`);
    }
    // An expand is the build's, not a slot's: two slots may share it, and which ones may change.
    const env: k8s.core.v1.EnvVar[] = [
        ...(job.kind === "expand" ? [] : [{ name: "SLOT", value: job.slot }]),
        { name: "APP_VERSION", value: job.version },
        { name: "ENVIRONMENT", value: args.environment },
    ];
    if (migration) {
        env.push({ name: "DATABASE_URL", valueFrom: { secretKeyRef: { name: args.databaseSecret!.name, key: args.databaseSecret!.key } } });
    } else {
        // HOME on the writable /tmp: the root filesystem is read-only and uid 10001 has no home, so a test
        // runner that writes to $HOME (caches, reports) would fail at HOME=/.
        env.push({ name: "TARGET_URL", value: args.targetUrl! }, { name: "SLOTSHIFT_HOOK", value: job.kind }, { name: "HOME", value: "/tmp" });
        // The weight the step's routing sets, for a per-step hook only: a pre-traffic hook runs once while
        // the weight is above 0, so nothing of a step may reach it (a changed input would replace it: run it again).
        if (job.weight !== null) {
            env.push({ name: "SLOTSHIFT_WEIGHT", value: String(job.weight) });
        }
    }
    // The contract's Job outlives a finalize (live, and so its slot, changes): its labels say what it is for only.
    const labels: Record<string, string> = job.kind === "contract" || job.kind === "expand" ? { app: args.app, "release-job": job.kind } : { app: args.app, slot: job.slot, "release-job": job.kind };
    const deadline = job.timeoutMinutes * 60;
    const wait = `${job.timeoutMinutes + 2}m`;
    return new Job(
        name,
        {
            metadata: {
                name: job.jobName,
                namespace: args.namespace,
                labels,
                annotations: { "pulumi.com/replaceUnready": "true" },
            },
            spec: {
                backoffLimit: 0,
                // A pod evicted by a node drain, a preemption or an upgrade is not a failed migration or test:
                // it does not count against backoffLimit, and the Job starts another (its steps are
                // idempotent). https://kubernetes.io/docs/tasks/job/pod-failure-policy/ (GA in 1.31;
                // restartPolicy must be Never).
                podFailurePolicy: { rules: [{ action: "Ignore", onPodConditions: [{ type: "DisruptionTarget", status: "True" }] }] },
                activeDeadlineSeconds: deadline,
                template: {
                    metadata: { labels: { app: args.app, "release-job": job.kind } },
                    spec: {
                        restartPolicy: "Never",
                        automountServiceAccountToken: false,
                        ...(args.imagePullSecret === undefined ? {} : { imagePullSecrets: [{ name: args.imagePullSecret }] }),
                        securityContext: { ...POD_SECURITY, seccompProfile: { ...POD_SECURITY.seccompProfile } },
                        containers: [
                            {
                                name: job.kind,
                                image: job.image ?? args.slotImage,
                                imagePullPolicy: "IfNotPresent",
                                command: [...job.command],
                                env,
                                // A slot's default requests and limits.
                                resources: { requests: { ...DEFAULT_RESOURCES.requests }, limits: { ...DEFAULT_RESOURCES.limits } },
                                securityContext: { ...CONTAINER_SECURITY, capabilities: { drop: [...CONTAINER_SECURITY.capabilities.drop] } },
                                volumeMounts: [{ name: "tmp", mountPath: "/tmp" }],
                            },
                        ],
                        volumes: [{ name: "tmp", emptyDir: { sizeLimit: "64Mi" } }],
                    },
                },
            },
        },
        {
            ...opts,
            customTimeouts: { create: wait, update: wait },
            ...(job.kind === "contract" ? { ignoreChanges: ["spec"] } : {}),
        },
    );
}
