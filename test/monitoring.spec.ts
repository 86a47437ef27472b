import { expect } from "chai";
import { PlanResult, PlannedResource } from "../cli/engine";
import { edited, ofType, planStack, stackConfig, STACKS, walk, withKey } from "./helpers";

const LOG_RULE = "azure-native:monitor:ScheduledQueryRule";
const METRIC_RULE = "azure-native:monitor:MetricAlert";
const ACTION_GROUP = "azure-native:monitor:ActionGroup";

const WEBHOOK = "https://hooks.example.com/services/T000/B000/very-secret-token-7f3a";

interface LogInputs {
    severity: number;
    evaluationFrequency: string;
    windowSize: string;
    scopes: string[];
    criteria: { allOf: { query: string; operator: string; threshold: number; metricMeasureColumn: string }[] };
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

    describe("the seed thresholds in every stack file", () => {
        for (const stack of STACKS) {
            it(`${stack}: error rate, latency, CPU, memory and health rules per slot, with windows and severities`, async () => {
                const result = await planStack(stack);
                expect(result.ok, result.error?.message).to.equal(true);
                const colours = stack === "dev" ? ["blue"] : ["blue", "green"];
                const p = `nextgen-market-${stack}-alerts`;
                for (const c of colours) {
                    const expectLog = (id: string, severity: number, operator: string, threshold: number, measure: string) => {
                        const r = log(result, `${p}-${c}-${id}`);
                        expect(r.severity, id).to.equal(severity);
                        expect(r.windowSize, id).to.equal("PT5M");
                        expect(r.criteria.allOf[0]).to.include({ operator, threshold, metricMeasureColumn: measure });
                    };
                    expectLog("error-rate", 0, "GreaterThan", 1, "errorRatePercent");
                    expectLog("error-rate-warning", 2, "GreaterThan", 0.5, "errorRatePercent");
                    expectLog("p99-latency", 0, "GreaterThan", 2000, "p99LatencyMs");
                    expectLog("cpu-warning", 2, "GreaterThan", 80, "cpuPercent");
                    expectLog("cpu-critical", 1, "GreaterThan", 90, "cpuPercent");
                    expectLog("memory-warning", 2, "GreaterThan", 80, "memoryPercent");
                    expectLog("memory-critical", 1, "GreaterThan", 90, "memoryPercent");
                    expectLog("health", 0, "GreaterThan", 3, "probeFailures");
                    expect(log(result, `${p}-${c}-health`).criteria.allOf[0].query).to.contain(`Name startswith "nextgen-market-${c}-"`);
                }
                if (stack !== "dev") {
                    const warn = metric(result, `${p}-db-connections`);
                    const exhausted = metric(result, `${p}-db-connections-exhausted`);
                    expect(warn.criteria.allOf[0]).to.include({ metricName: "active_connections", operator: "GreaterThan", threshold: 18 });
                    expect(warn.severity).to.equal(2);
                    expect(exhausted.criteria.allOf[0]).to.include({ operator: "GreaterThanOrEqual", threshold: 20 });
                    expect(exhausted.severity).to.equal(0);
                    expect(warn.scopes[0]).to.match(/\/resourceGroups\/nextgen-market-data-\w+\/providers\/Microsoft\.DBforPostgreSQL\/flexibleServers\/nextgen-market-pg-\w+$/);
                }
            });
        }

        it("follows overridden thresholds", async () => {
            const result = await planStack("prod", {
                config: edited("prod", { "slotshift:alerts.errorRatePercent": 2, "slotshift:alerts.p99LatencyMs": 1500, "slotshift:alerts.cpuPercent": { warning: 70, critical: 85 } }),
            });
            expect(log(result, "nextgen-market-prod-alerts-green-error-rate").criteria.allOf[0].threshold).to.equal(2);
            expect(log(result, "nextgen-market-prod-alerts-green-p99-latency").criteria.allOf[0].threshold).to.equal(1500);
            expect(log(result, "nextgen-market-prod-alerts-blue-cpu-critical").criteria.allOf[0].threshold).to.equal(85);
        });
    });

    describe("scoping", () => {
        it("scopes each slot's rules to that slot alone", async () => {
            const result = await planStack("prod");
            for (const r of ofType(result, LOG_RULE)) {
                const mine = r.name.includes("-blue-") ? "blue" : "green";
                const other = mine === "blue" ? "green" : "blue";
                const query = (r.inputs as unknown as LogInputs).criteria.allOf[0].query;
                expect(query, r.name).to.match(new RegExp(`nextgen-market-${mine}|"slot\\\\?":\\\\?"${mine}`));
                expect(query, r.name).not.to.contain(`nextgen-market-${other}`);
                expect(query, r.name).not.to.contain(`"slot\\":\\"${other}`);
                expect((r.inputs as unknown as LogInputs).actions.customProperties).to.include({ slot: mine, stack: "prod" });
            }
        });

        it("names each slot's telemetry after the slot, so the rules can tell the slots apart", async () => {
            const result = await planStack("prod");
            for (const d of ofType(result, "kubernetes:apps/v1:Deployment")) {
                const colour = d.name.includes("-blue-") ? "blue" : "green";
                const env = (d.inputs.spec as { template: { spec: { containers: { env: { name: string; value?: string; valueFrom?: unknown }[] }[] } } }).template.spec.containers[0].env;
                expect(env).to.deep.include({ name: "OTEL_SERVICE_NAME", value: `nextgen-market-${colour}` });
                expect(env.find((e) => e.name === "APPLICATIONINSIGHTS_CONNECTION_STRING")?.valueFrom).to.deep.equal({
                    secretKeyRef: { name: "nextgen-market-telemetry", key: "connection-string" },
                });
            }
        });
    });

    describe("evaluation frequency", () => {
        const frequencies = (r: PlanResult) => [...ofType(r, LOG_RULE), ...ofType(r, METRIC_RULE)].map((x) => (x.inputs as { evaluationFrequency: string }).evaluationFrequency);

        it("is every minute while a release is in flight and every five when stable", async () => {
            const staged = await planStack("prod");
            expect(new Set(frequencies(staged))).to.deep.equal(new Set(["PT1M"]));
            const stable = await planStack("prod", { config: edited("prod", { "slotshift:slots.green": {} }) });
            expect(new Set(frequencies(stable))).to.deep.equal(new Set(["PT5M"]));
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
            expect(triggers.map((r) => r.name.replace("nextgen-market-prod-alerts-", "")).sort()).to.deep.equal(["blue-error-rate", "blue-health", "blue-p99-latency", "green-error-rate", "green-health", "green-p99-latency"]);
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
