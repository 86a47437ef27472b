import { expect } from "chai";
import { PlanResult, PlannedResource } from "../cli/engine";
import { ROLLBACK_PATH_MISSING } from "../rollout/alerts";
import { edited, ofType, planStack, stackConfig, STACKS, walk, withKey } from "./helpers";

const LOG_RULE = "azure-native:monitor:ScheduledQueryRule";
const METRIC_RULE = "azure-native:monitor:MetricAlert";
const ACTION_GROUP = "azure-native:monitor:ActionGroup";

const WEBHOOK = "https://hooks.example.com/services/T000/B000/very-secret-token-7f3a";

interface LogInputs {
    severity: number;
    skipQueryValidation: boolean;
    evaluationFrequency: string;
    windowSize: string;
    scopes: string[];
    criteria: { allOf: { query: string; operator: string; threshold: number; metricMeasureColumn: string; timeAggregation: string; dimensions: unknown[] }[] };
    actions: { actionGroups: string[]; customProperties: Record<string, string> };
}
interface MetricInputs {
    severity: number;
    evaluationFrequency: string;
    windowSize: string;
    scopes: string[];
    criteria: { allOf: { metricName: string; operator: string; threshold: number; dimensions: { name: string; values: string[] }[] }[] };
    actions: { actionGroupId: string; webHookProperties: Record<string, string> }[];
}

const rule = (result: PlanResult, name: string): PlannedResource => {
    const r = result.resources.find((x) => x.name === name);
    expect(r, name).to.not.equal(undefined);
    return r!;
};
const log = (result: PlanResult, name: string) => rule(result, name).inputs as unknown as LogInputs;
const metric = (result: PlanResult, name: string) => rule(result, name).inputs as unknown as MetricInputs;

/** A stack's config with the webhook given as Pulumi would pass a secret. */
function withWebhook(stack: string) {
    return { config: withKey(stackConfig(stack).config, "slotshift:alerts.webhookUrl", WEBHOOK), secretKeys: ["slotshift:alerts"] };
}

describe("monitoring", function () {
    this.timeout(120000);

    describe("the release process's thresholds (docs/RELEASE-PROCESS.md §5) in every stack file", () => {
        for (const stack of STACKS) {
            it(`${stack}: one rule per signal split by slot, with the release process's thresholds, windows and severities`, async () => {
                const result = await planStack(stack);
                expect(result.ok, result.error?.message).to.equal(true);
                const p = `nextgen-market-${stack}-alerts`;
                const expectLog = (id: string, severity: number, operator: string, threshold: number, measure: string) => {
                    const r = log(result, `${p}-${id}`);
                    expect(r.severity, id).to.equal(severity);
                    expect(r.windowSize, id).to.equal("PT5M");
                    expect(r.criteria.allOf[0]).to.include({ operator, threshold, metricMeasureColumn: measure, timeAggregation: "Maximum" });
                    expect(r.criteria.allOf[0].dimensions, id).to.deep.equal([{ name: "slot", operator: "Include", values: ["*"] }]);
                };
                expectLog("error-rate", 0, "GreaterThan", 1, "errorRatePercent");
                expectLog("error-rate-warning", 2, "GreaterThan", 0.5, "errorRatePercent");
                expectLog("p99-latency", 0, "GreaterThan", 2000, "p99LatencyMs");
                expectLog("cpu-warning", 2, "GreaterThan", 80, "cpuPercent");
                expectLog("cpu-critical", 1, "GreaterThan", 90, "cpuPercent");
                expectLog("memory-warning", 2, "GreaterThan", 80, "memoryPercent");
                expectLog("memory-critical", 1, "GreaterThan", 90, "memoryPercent");
                expectLog("health", 0, "GreaterThan", 3, "probeFailures");
                expectLog("pool-warning", 2, "GreaterThan", 90, "poolUsedPercent");
                expectLog("pool-exhausted", 0, "GreaterThan", 0, "exhaustedInstances");
                expect(ofType(result, LOG_RULE)).to.have.length(10);
                if (stack !== "dev") {
                    // max_connections 100 less the 15 Azure reserves, 80 % of that: 68.
                    const server = metric(result, `${p}-db-server-connections`);
                    expect(server.criteria.allOf[0]).to.include({ metricName: "active_connections", operator: "GreaterThan", threshold: 68 });
                    expect(server.severity).to.equal(2);
                    expect(server.scopes[0]).to.match(/\/resourceGroups\/nextgen-market-data-\w+\/providers\/Microsoft\.DBforPostgreSQL\/flexibleServers\/nextgen-market-pg-\w+$/);
                    expect(server.actions[0].webHookProperties).to.deep.equal({ app: "nextgen-market", stack, signal: "db-server-connections", rollback: "false" });
                    expect(ofType(result, METRIC_RULE)).to.have.length(1);
                }
            });
        }

        it("halves the rules of the per-slot signals: prod has 10 log rules and 1 metric rule, not 16 and 2", async () => {
            const result = await planStack("prod");
            expect(ofType(result, LOG_RULE).length + ofType(result, METRIC_RULE).length).to.equal(11);
        });

        it("follows overridden thresholds", async () => {
            const result = await planStack("prod", {
                config: edited("prod", {
                    "slotshift:alerts.errorRatePercent": 2,
                    "slotshift:alerts.p99LatencyMs": 1500,
                    "slotshift:alerts.cpuPercent": { warning: 70, critical: 85 },
                    "slotshift:alerts.dbConnections": { max: 40, alertAt: 30 },
                    "slotshift:alerts.database.maxConnections": 859,
                    "slotshift:alerts.database.warningPercent": 50,
                }),
            });
            expect(log(result, "nextgen-market-prod-alerts-error-rate").criteria.allOf[0].threshold).to.equal(2);
            expect(log(result, "nextgen-market-prod-alerts-p99-latency").criteria.allOf[0].threshold).to.equal(1500);
            expect(log(result, "nextgen-market-prod-alerts-cpu-critical").criteria.allOf[0].threshold).to.equal(85);
            expect(log(result, "nextgen-market-prod-alerts-pool-warning").criteria.allOf[0].threshold).to.equal(75);
            expect(log(result, "nextgen-market-prod-alerts-pool-warning").criteria.allOf[0].query).to.contain("real(40)");
            expect(metric(result, "nextgen-market-prod-alerts-db-server-connections").criteria.allOf[0].threshold).to.equal(422);
        });
    });

    describe("rules Azure accepts on the first pulumi up", () => {
        it("skip query validation: a new workspace has none of the tables yet (skipQueryValidation, scheduledQueryRule_API.json 2025-01-01-preview)", async () => {
            const result = await planStack("prod");
            for (const r of ofType(result, LOG_RULE)) {
                expect((r.inputs as { skipQueryValidation?: boolean }).skipQueryValidation, r.name).to.equal(true);
                // Log search alerts do not take `union` or `search` (learn.microsoft.com, "Log search alert queries").
                const query = (r.inputs as unknown as LogInputs).criteria.allOf[0].query;
                expect(query, r.name).not.to.match(/\b(union|search)\b/);
                expect(query, r.name).not.to.contain("AggregatedValue");
            }
        });

        it("every query yields the slot dimension and a TimeGenerated per row, and reads one table of telemetry per source", async () => {
            const result = await planStack("prod");
            for (const r of ofType(result, LOG_RULE)) {
                const c = (r.inputs as unknown as LogInputs).criteria.allOf[0];
                const last = c.query.split("\n").filter((l) => l.startsWith("| summarize") || l.startsWith("| extend TimeGenerated")).pop()!;
                expect(last, r.name).to.match(/by slot(, AppRoleInstance)?, (TimeGenerated = bin\(TimeGenerated, 5m\)|TimeGenerated)$|, TimeGenerated = max\(seen\) by slot$/);
                expect(c.query, r.name).to.contain(c.metricMeasureColumn);
            }
        });

        it("reads the app's telemetry from the stack's workspace and Container insights from the cluster's", async () => {
            const result = await planStack("prod");
            const workspace = (name: string) => log(result, `nextgen-market-prod-alerts-${name}`).scopes[0];
            for (const id of ["error-rate", "error-rate-warning", "p99-latency", "pool-warning", "pool-exhausted"]) {
                expect(workspace(id), id).to.equal("nextgen-market-prod-telemetry-workspace-id");
            }
            for (const id of ["cpu-warning", "cpu-critical", "memory-warning", "memory-critical", "health"]) {
                expect(workspace(id), id).to.match(/\/resourceGroups\/nextgen-market-aks-prod\/providers\/Microsoft\.OperationalInsights\/workspaces\/nextgen-market-aks-prod-insights$/);
            }
        });

        it("takes the cluster workspace from another subscription when given", async () => {
            const sub = "11111111-2222-3333-4444-555555555555";
            const result = await planStack("prod", { config: edited("prod", { "slotshift:alerts.clusterWorkspace.subscriptionId": sub }) });
            expect(log(result, "nextgen-market-prod-alerts-health").scopes[0]).to.match(new RegExp(`^/subscriptions/${sub}/resourceGroups/nextgen-market-aks-prod/`));
        });

        it("without slotshift:alerts.clusterWorkspace: no cluster rules, and a warning that names the key and how to find the workspace", async () => {
            const result = await planStack("prod", { config: edited("prod", { "slotshift:alerts.clusterWorkspace": undefined }) });
            expect(result.ok, result.error?.message).to.equal(true);
            expect(ofType(result, LOG_RULE).map((r) => r.name.replace("nextgen-market-prod-alerts-", "")).sort()).to.deep.equal(["error-rate", "error-rate-warning", "p99-latency", "pool-exhausted", "pool-warning"]);
            expect(result.warnings).to.have.length(2);
            expect(result.warnings[0]).to.contain("slotshift:alerts.clusterWorkspace is not set");
            expect(result.warnings[0]).to.contain("addonProfiles.omsagent.config.logAnalyticsWorkspaceResourceID");
        });

        it("reads probe failures from KubeEvents alone, by LastSeen a day back, the slot from the pod's name, start-up left out", async () => {
            const result = await planStack("prod");
            const health = rule(result, "nextgen-market-prod-alerts-health").inputs as unknown as LogInputs & { overrideQueryTimeRange: string };
            const q = health.criteria.allOf[0].query;
            expect(health.overrideQueryTimeRange).to.equal("P1D");
            expect(q.split("\n")[0]).to.equal("KubeEvents");
            expect(q).not.to.match(/\bjoin\b|KubePodInventory/);
            expect(q).to.contain('Reason == "Unhealthy"');
            expect(q).to.contain('| where Message !startswith "Startup probe"');
            expect(q).to.contain(`extract("^nextgen-market-(blue|green)-", 1, Name)`);
            expect(q).to.contain("LastSeen > ago(5m)");
            // The row's time is inside the evaluated window: the last failure's, not the query's run.
            expect(q).to.match(/TimeGenerated = max\(seen\) by slot$/);
        });

        it("gives every slot a startup probe, so readiness and liveness failures are never the start-up's", async () => {
            const result = await planStack("prod");
            for (const d of ofType(result, "kubernetes:apps/v1:Deployment")) {
                const c = (d.inputs.spec as { template: { spec: { containers: Record<string, { httpGet: { path: string } } & Record<string, unknown>>[] } } }).template.spec.containers[0];
                expect(c.startupProbe.httpGet.path, d.name).to.equal("/api/live");
                expect(c.livenessProbe.httpGet.path, d.name).to.equal("/api/live");
                expect(c.readinessProbe.httpGet.path, d.name).to.equal("/api/health");
                expect(c.readinessProbe, d.name).not.to.have.property("initialDelaySeconds");
            }
        });

        it("runs only one-table queries every minute: Azure refuses a one-minute rule whose query it cannot optimise (joins)", async () => {
            const result = await planStack("prod");
            for (const r of ofType(result, LOG_RULE)) {
                const inputs = r.inputs as unknown as LogInputs;
                if (inputs.evaluationFrequency === "PT1M") {
                    expect(inputs.criteria.allOf[0].query, r.name).not.to.match(/\bjoin\b|\blet\b/);
                }
            }
        });

        it("leaves the health path's requests out of the request rules, and judges no rate on fewer than minRequests", async () => {
            const result = await planStack("prod", { config: edited("prod", { "slotshift:alerts.minRequests": 50 }) });
            for (const id of ["error-rate", "error-rate-warning", "p99-latency"]) {
                const q = log(result, `nextgen-market-prod-alerts-${id}`).criteria.allOf[0].query;
                expect(q, id).to.contain('| where tostring(parse_url(Url).Path) != "/api/health"');
                expect(q, id).to.contain("| where total >= 50");
            }
        });
    });

    describe("scoping", () => {
        it("splits every log rule by slot, each query limited to the stack's own slots", async () => {
            const result = await planStack("prod");
            for (const r of ofType(result, LOG_RULE)) {
                const inputs = r.inputs as unknown as LogInputs;
                const query = inputs.criteria.allOf[0].query;
                if (/AppRequests|AppMetrics/.test(query)) {
                    expect(query, r.name).to.contain('| where AppRoleName in ("nextgen-market-blue", "nextgen-market-green")');
                    expect(query, r.name).to.contain('| extend slot = case(AppRoleName == "nextgen-market-blue", "blue", AppRoleName == "nextgen-market-green", "green", "")');
                } else {
                    expect(query, r.name).to.contain('| where Namespace == "nextgen-market-prod"');
                    // From the slot label of the pods (KubePodInventory), or from the pod's name (KubeEvents alone).
                    expect(query, r.name).to.satisfy((q: string) => q.includes(`extract('"slot":"(blue|green)"', 1, PodLabel)`) || q.includes(`extract("^nextgen-market-(blue|green)-", 1, Name)`));
                }
                // The slot comes from the alert's dimension; the properties say what fired and where.
                expect(inputs.actions.customProperties).to.deep.equal({ app: "nextgen-market", stack: "prod", signal: r.name.replace("nextgen-market-prod-alerts-", ""), rollback: String(inputs.severity === 0) });
            }
        });

        it("dev watches its one slot", async () => {
            const result = await planStack("dev");
            for (const r of ofType(result, LOG_RULE)) {
                const query = (r.inputs as unknown as LogInputs).criteria.allOf[0].query;
                expect(query, r.name).not.to.contain('"nextgen-market-green"');
                expect(query, r.name).not.to.match(/in \([^)]*"green"/);
            }
        });

        it("names each slot's telemetry after the slot, so the rules can tell the slots apart", async () => {
            const result = await planStack("prod");
            for (const d of ofType(result, "kubernetes:apps/v1:Deployment")) {
                const colour = d.name.includes("-blue-") ? "blue" : "green";
                const env = (d.inputs.spec as { template: { spec: { containers: { env: { name: string; value?: string; valueFrom?: unknown }[] }[] } } }).template.spec.containers[0].env;
                expect(env).to.deep.include({ name: "OTEL_SERVICE_NAME", value: `nextgen-market-${colour}` });
                expect(env.find((e) => e.name === "OTEL_RESOURCE_ATTRIBUTES")?.value).not.to.contain("service.namespace");
                expect(env.find((e) => e.name === "APPLICATIONINSIGHTS_CONNECTION_STRING")?.valueFrom).to.deep.equal({
                    secretKeyRef: { name: "nextgen-market-telemetry", key: "connection-string" },
                });
            }
        });
    });

    describe("evaluation frequency", () => {
        const isTrigger = (x: PlannedResource) =>
            x.type === LOG_RULE ? (x.inputs as unknown as LogInputs).actions.customProperties.rollback === "true" : (x.inputs as unknown as MetricInputs).actions[0].webHookProperties.rollback === "true";
        const frequencies = (r: PlanResult, rollback: boolean) =>
            [...ofType(r, LOG_RULE), ...ofType(r, METRIC_RULE)].filter((x) => isTrigger(x) === rollback).map((x) => (x.inputs as { evaluationFrequency: string }).evaluationFrequency);

        it("is every minute for the rollback triggers while a release is in flight, every five when stable and for every other rule", async () => {
            const staged = await planStack("prod");
            expect(new Set(frequencies(staged, true))).to.deep.equal(new Set(["PT1M"]));
            expect(new Set(frequencies(staged, false))).to.deep.equal(new Set(["PT5M"]));
            const stable = await planStack("prod", { config: edited("prod", { "slotshift:slots.green": {} }) });
            expect(new Set(frequencies(stable, true))).to.deep.equal(new Set(["PT5M"]));
        });

        it("makes the rollback triggers stateless, acting at most every 5 minutes; the other rules resolve themselves", async () => {
            const result = await planStack("prod");
            for (const r of ofType(result, LOG_RULE)) {
                const inputs = r.inputs as unknown as LogInputs & { autoMitigate: boolean; muteActionsDuration?: string };
                if (inputs.actions.customProperties.rollback === "true") {
                    expect(inputs.autoMitigate, r.name).to.equal(false);
                    expect(inputs.muteActionsDuration, r.name).to.equal("PT5M");
                } else {
                    expect(inputs.autoMitigate, r.name).to.equal(true);
                    expect(inputs, r.name).not.to.have.property("muteActionsDuration");
                }
            }
        });

        it("changes no alert rule on a weight step, a rollback or a finalize", async () => {
            const updates = [0, 5, 25, 50, 100].map((w) => ({ "slotshift:rollout.weight": w }));
            const steps = await walk("prod", [...updates, { "slotshift:rollout.weight": 0 }]);
            const [finalized] = await walk("prod", [{ "slotshift:rollout.live": "green", "slotshift:rollout.weight": 0 }], {
                base: withKey(stackConfig("prod").config, "slotshift:rollout.weight", 100),
                previous: steps[4].outputs,
            });
            const rules = (r: PlanResult) => JSON.stringify([...ofType(r, LOG_RULE), ...ofType(r, METRIC_RULE), ...ofType(r, ACTION_GROUP)].map((x) => [x.name, x.inputs]));
            expect(steps.every((s) => s.ok)).to.equal(true);
            expect(finalized.ok, finalized.error?.message).to.equal(true);
            for (const s of [...steps.slice(1), finalized]) {
                expect(rules(s)).to.equal(rules(steps[0]));
            }
        });
    });

    describe("the rollback webhook", () => {
        it("is called by the rollback triggers only, through their own action group", async () => {
            const result = await planStack("prod", withWebhook("prod"));
            expect(result.ok, result.error?.message).to.equal(true);
            const groups = ofType(result, ACTION_GROUP);
            expect(groups.map((g) => g.name).sort()).to.deep.equal(["nextgen-market-prod-alerts-notify", "nextgen-market-prod-alerts-rollback"]);
            const rollbackGroup = groups.find((g) => g.name.endsWith("-rollback"))!.inputs as { webhookReceivers: unknown[]; groupShortName: string };
            // The secret URL makes the whole receiver list secret, as `pulumi preview` shows it too: one receiver, nothing readable.
            expect(rollbackGroup.webhookReceivers).to.deep.equal([{ name: "[secret]", serviceUri: "[secret]", useCommonAlertSchema: "[secret]" }]);
            expect(rollbackGroup.groupShortName.length).to.be.at.most(12);
            const triggers = ofType(result, LOG_RULE).filter((r) => (r.inputs as unknown as LogInputs).actions.customProperties.rollback === "true");
            expect(triggers.map((r) => r.name.replace("nextgen-market-prod-alerts-", "")).sort()).to.deep.equal(["error-rate", "health", "p99-latency", "pool-exhausted"]);
            for (const t of triggers) {
                expect((t.inputs as unknown as LogInputs).actions.actionGroups).to.deep.equal(["nextgen-market-prod-alerts-rollback-id"]);
            }
        });

        it("never appears in plain outputs or the plan JSON", async () => {
            for (const stack of STACKS) {
                const result = await planStack(stack, withWebhook(stack));
                expect(result.ok, result.error?.message).to.equal(true);
                const json = JSON.stringify(result);
                expect(json).not.to.contain("very-secret-token");
                expect(json).not.to.contain("hooks.example.com");
            }
        });

        it("is never echoed by a refusal, even when it is wrong", async () => {
            const result = await planStack("prod", { config: withKey(stackConfig("prod").config, "slotshift:alerts.webhookUrl", "http://hooks.example.com/very-secret-token-7f3a"), secretKeys: ["slotshift:alerts"] });
            expect(result.ok).to.equal(false);
            expect(result.error?.message).to.contain('slotshift:alerts.webhookUrl is "[secret]"; allowed: an https URL');
            expect(result.error?.message).not.to.contain("very-secret-token");
        });

        it("is refused in plain text", async () => {
            const result = await planStack("prod", { config: withKey(stackConfig("prod").config, "slotshift:alerts.webhookUrl", WEBHOOK), secretKeys: [] });
            expect(result.ok).to.equal(false);
            expect(result.error?.key).to.equal("slotshift:alerts.webhookUrl");
            expect(result.error?.message).to.contain("slotshift:alerts.webhookUrl is given in plain text; allowed: a Pulumi secret only");
            expect(result.error?.message).not.to.contain("very-secret-token");
            expect(result.resources).to.deep.equal([]);
        });
    });

    describe("the rollback relay (slotshift:rollback)", () => {
        it("warns when the rollback triggers reach nobody who can roll back", async () => {
            const result = await planStack("prod");
            expect(result.warnings).to.include(ROLLBACK_PATH_MISSING);
            const dev = await planStack("dev");
            expect(dev.warnings).not.to.include(ROLLBACK_PATH_MISSING);
        });

        const TOKEN = "github_pat_11AAAAAAA0very0secret0token0abcdef";
        const withRelay = (stack: string, rollback: unknown, secret = true) => ({
            config: withKey(stackConfig(stack).config, "slotshift:rollback", rollback),
            secretKeys: secret ? ["slotshift:rollback"] : [],
        });

        it("deploys the relay and makes it the rollback triggers' receiver; the token and the URL stay secret", async () => {
            const result = await planStack("prod", withRelay("prod", { repository: "nextgen-market/slotshift", token: TOKEN }));
            expect(result.ok, result.error?.message).to.equal(true);
            expect(ofType(result, "slotshift:azure:RollbackRelay").map((r) => r.name)).to.deep.equal(["nextgen-market-prod-relay"]);
            const group = ofType(result, ACTION_GROUP).find((g) => g.name.endsWith("-rollback"))!.inputs as { webhookReceivers: unknown[] };
            expect(group.webhookReceivers).to.have.length(1);
            const json = JSON.stringify(result);
            expect(json).not.to.contain("very0secret0token");
            expect(json).not.to.contain("secret=");
            expect(json).not.to.contain("offline-storage-key");
        });

        it("keeps a webhook of the stack's own beside the relay", async () => {
            const config = withKey(withKey(stackConfig("prod").config, "slotshift:rollback", { repository: "nextgen-market/slotshift", token: TOKEN }), "slotshift:alerts.webhookUrl", WEBHOOK);
            const result = await planStack("prod", { config, secretKeys: ["slotshift:rollback", "slotshift:alerts"] });
            expect(result.ok, result.error?.message).to.equal(true);
            const group = ofType(result, ACTION_GROUP).find((g) => g.name.endsWith("-rollback"))!.inputs as { webhookReceivers: unknown[] };
            expect(group.webhookReceivers).to.have.length(2);
        });

        const refusals: [string, unknown, boolean, string, RegExp][] = [
            ["a malformed repository", { repository: "not a repo", token: TOKEN }, true, "slotshift:rollback.repository", /slotshift:rollback\.repository is "not a repo"; allowed: a GitHub repository as owner\/name/],
            ["a repository with an owner only", { repository: "nextgen-market", token: TOKEN }, true, "slotshift:rollback.repository", /allowed: a GitHub repository as owner\/name/],
            ["a plaintext token", { repository: "nextgen-market/slotshift", token: TOKEN }, false, "slotshift:rollback.token", /slotshift:rollback\.token is given in plain text; allowed: a Pulumi secret only/],
            ["a token that is not one", { repository: "nextgen-market/slotshift", token: "short very0secret0token" }, true, "slotshift:rollback.token", /slotshift:rollback\.token is "\[secret\]"; allowed: a GitHub token/],
            // A key inside the family of a token may be the token written as a key: it is not echoed, the known keys are.
            ["an unknown key", { repository: "nextgen-market/slotshift", token: TOKEN, branch: "main" }, true, "slotshift:rollback.[secret]", /slotshift:rollback\.\[secret\] is not a known key \(.*\); known here: repository, token/],
            ["a misspelt key", { repository: "nextgen-market/slotshift", token: TOKEN, tokne: "x" }, true, "slotshift:rollback.tokne", /slotshift:rollback\.tokne is not a known key; did you mean slotshift:rollback\.token\?/],
            ["the token alone, as a string", TOKEN, true, "slotshift:rollback", /slotshift:rollback is "\[secret\]"/],
        ];
        for (const [what, value, secret, key, message] of refusals) {
            it(`refuses ${what} in one line naming ${key}, registering nothing, echoing no token`, async () => {
                const result = await planStack("prod", withRelay("prod", value, secret));
                expect(result.ok).to.equal(false);
                expect(result.error?.key).to.equal(key);
                expect(result.error?.message).to.match(message);
                expect(result.error?.message.split("\n")).to.have.length(1);
                expect(result.error?.message).not.to.contain("very0secret0token");
                expect(result.resources).to.deep.equal([]);
            });
        }

        it("refuses a relay on a stack deployed in place (dev): it has no rollback to trigger", async () => {
            const result = await planStack("dev", withRelay("dev", { repository: "nextgen-market/slotshift", token: TOKEN }));
            expect(result.ok).to.equal(false);
            expect(result.error?.key).to.equal("slotshift:rollback");
            expect(result.error?.message).to.match(/slotshift:rollback is "\[secret\]"; allowed: unset for strategy direct/);
            expect(result.resources).to.deep.equal([]);
        });
    });

    describe("bad thresholds", () => {
        const cases: [string, unknown, RegExp][] = [
            ["slotshift:alerts.errorRatePercent", -1, /is -1; allowed: a percentage above 0 and at most 100/],
            ["slotshift:alerts.errorRatePercent", 101, /is 101; allowed: a percentage above 0 and at most 100/],
            ["slotshift:alerts.p99LatencyMs", 0, /is 0; allowed: milliseconds from 1 to 600000/],
            ["slotshift:alerts.memoryPercent.critical", 120, /is 120; allowed: a percentage above 0 and at most 100/],
            ["slotshift:alerts.healthFailures", 0, /is 0; allowed: an integer from 1 to 9/],
            ["slotshift:alerts.dbConnections.max", -20, /is -20; allowed: an integer from 1 to 100000/],
        ];
        for (const [key, value, message] of cases) {
            it(`refuses ${key} = ${JSON.stringify(value)} naming the key, registering nothing`, async () => {
                const result = await planStack("prod", { config: edited("prod", { [key]: value }) });
                expect(result.ok).to.equal(false);
                expect(result.error?.key).to.equal(key);
                expect(result.error?.message).to.contain(`${key} is`);
                expect(result.error?.message).to.match(message);
                expect(result.resources).to.deep.equal([]);
            });
        }
    });

    describe("the dashboard", () => {
        it("shows traffic by slot and version, error rate, latency, the endpoints and the database, from live data only", async () => {
            const result = await planStack("prod");
            const [dash] = ofType(result, "azure-native:portal:Dashboard");
            const text = JSON.stringify(dash.inputs);
            for (const title of ["Traffic by slot and version", "Error rate by slot", "p99 latency by slot", "Queries answered per endpoint", "Database connections"]) {
                expect(text).to.contain(title);
            }
            expect(text).not.to.contain("1.1.0");
        });
    });
});
