/**
 * The config checks that span key families, each a named unit: an id and a check that returns the
 * problems it finds, each with the key path it is about and what would be allowed there. The
 * decision's rules (rollout/rules/) judge a config against the previous state; these judge a
 * config on its own.
 */
import { derivedNames } from "../names";
import { Environment, VERSION_POLICY, versionPolicyViolation } from "../versions";
import { SLOT_COLOURS, otherSlot } from "./kinds";
import type { FamiliesConfig } from "./schema";

/** A problem a check finds: the key path under `slotshift:` and what is allowed there. */
export interface CheckIssue {
    readonly path: readonly (string | number)[];
    readonly message: string;
}

/** A check of a whole config. */
export interface CrossCheck {
    readonly id: string;
    readonly check: (c: FamiliesConfig, env: Environment, stack: string) => CheckIssue[];
}

const issue = (path: readonly (string | number)[], message: string): CheckIssue[] => [{ path, message }];

export const CROSS_CHECKS: readonly CrossCheck[] = [
    {
        id: "strategy-fits-environment",
        check: (c, env) => (env === "prod" && c.rollout.strategy === "direct" ? issue(["rollout", "strategy"], "canary or blue-green: prod never deploys in place") : []),
    },
    {
        id: "steps-fit-strategy",
        check: ({ rollout: r }) => {
            if (r.strategy === "blue-green" && (r.steps.length !== 1 || r.steps[0] !== 100)) {
                return issue(["rollout", "steps"], "[100] for strategy blue-green (use strategy canary for intermediate steps)");
            }
            if (r.strategy === "canary" && r.steps.length < 2) {
                return issue(["rollout", "steps"], "at least two steps for strategy canary, e.g. [5, 25, 50, 100]");
            }
            return [];
        },
    },
    {
        // The weight is 0 or one of the steps; direct deploys in place (docs/RELEASE-PROCESS.md §4).
        id: "weight-is-a-step",
        check: ({ rollout: r }) => {
            if (r.strategy === "direct" && r.weight !== 0) {
                return issue(["rollout", "weight"], "0: strategy direct deploys the live slot in place and shifts no traffic");
            }
            if (r.weight !== 0 && !r.steps.includes(r.weight)) {
                return issue(["rollout", "weight"], `0 or one of slotshift:rollout.steps (${r.steps.join(", ")})`);
            }
            return [];
        },
    },
    {
        // Versions follow the environment's policy (docs/RELEASE-PROCESS.md §1).
        id: "version-policy",
        check: (c, env) =>
            SLOT_COLOURS.flatMap((colour) => {
                const version = c.slots[colour].version;
                const violation = version === undefined ? undefined : versionPolicyViolation(env, version);
                return violation ? issue(["slots", colour, "version"], `${VERSION_POLICY[env]} (${violation})`) : [];
            }),
    },
    {
        id: "build-is-identified",
        check: (c) =>
            SLOT_COLOURS.flatMap((colour) => {
                const s = c.slots[colour];
                return s.version !== undefined && s.gitSha === undefined && s.digest === undefined
                    ? issue(["slots", colour, "gitSha"], `the git commit sha ${colour}'s image was built from (or slotshift:slots.${colour}.digest): the deploy tag needs it`)
                    : [];
            }),
    },
    {
        id: "live-slot-runs",
        check: (c) => {
            const live = c.rollout.live;
            return [
                ...(c.slots[live].version === undefined ? issue(["slots", live, "version"], `a version: slotshift:rollout.live is ${live}, so that slot must run one`) : []),
                ...(c.slots[live].decommissioned ? issue(["slots", live, "decommissioned"], `false: ${live} is the live slot`) : []),
            ];
        },
    },
    {
        id: "traffic-goes-to-a-running-candidate",
        check: (c) => {
            const r = c.rollout;
            const candidate = otherSlot(r.live);
            return [
                ...(r.weight > 0 && c.slots[candidate].version === undefined ? issue(["rollout", "weight"], `0 while slotshift:slots.${candidate} has no version to send traffic to`) : []),
                ...(r.weight > 0 && c.slots[candidate].decommissioned ? issue(["rollout", "weight"], `0 while slotshift:slots.${candidate} is decommissioned`) : []),
            ];
        },
    },
    {
        // Names the cloud would refuse are refused here, before anything is registered.
        id: "derived-names-are-valid",
        check: (c, _env, stack) =>
            derivedNames({
                app: c.app.name,
                stack,
                namespace: c.app.namespace,
                dnsName: c.traffic.dnsName,
                jobs: {
                    expand: c.migrations?.expand !== undefined,
                    contract: c.migrations?.contract !== undefined,
                    preTraffic: c.hooks?.preTraffic !== undefined,
                    perStep: c.hooks?.perStep !== undefined,
                },
            }).flatMap((n) => {
                if (n.name.length <= n.max && n.pattern.test(n.name)) {
                    return [];
                }
                const [path, given] =
                    n.what.startsWith("the Kubernetes namespace") && c.app.namespace !== undefined
                        ? [["app", "namespace"], "slotshift:app.namespace"]
                        : n.what.startsWith("the Traffic Manager") && c.traffic.dnsName !== undefined
                          ? [["traffic", "dnsName"], "slotshift:traffic.dnsName"]
                          : [["app", "name"], `slotshift:app.name (with the stack name ${JSON.stringify(stack)})`];
                return issue(path, `a name that makes ${n.what} valid: it would be ${JSON.stringify(n.name)} (${n.name.length} characters) and must be ${n.rule}; shorten ${given}`);
            }),
    },
    {
        id: "autoscale-min-at-most-max",
        check: (c) => {
            const a = c.app.autoscale;
            return a !== undefined && a.min > a.max ? issue(["app", "autoscale", "min"], `at most slotshift:app.autoscale.max (${a.max})`) : [];
        },
    },
    {
        id: "build-context-only-in-dev",
        check: (c, env) => (c.app.buildContext !== undefined && env !== "dev" ? issue(["app", "buildContext"], `unset outside dev: ${env} deploys the image that was built and promoted`) : []),
    },
    {
        id: "no-rollback-relay-in-place",
        check: (c) =>
            c.rollback !== undefined && c.rollout.strategy === "direct"
                ? issue(
                      ["rollback"],
                      "unset for strategy direct: a stack deployed in place has no candidate whose traffic an alert could take away, so its alert rules trigger no rollback",
                  )
                : [],
    },
    {
        id: "promotion-from-another-stack",
        check: (c, _env, stack) => (c.promotion.from !== undefined && c.promotion.from.split("/").pop() === stack ? issue(["promotion", "from"], `another stack than ${stack} itself`) : []),
    },
];
