import { expect } from "chai";
import { ALERT_PATH_GOAL_SECONDS, GATE_PATH_GOAL_SECONDS, alertPath, gatePath, renderComparison, renderPath, total } from "../bench/safety";
import { parseStackConfig } from "../rollout/config";
import { readRolloutState } from "../rollout/state";
import { edited, walk } from "./helpers";

describe("time to safety (the bench's model of the alert path)", function () {
    this.timeout(120000);
    const at = async (edits: Record<string, unknown>) => {
        const [p] = await walk("prod", [{ "slotshift:rollout.weight": 0 }]);
        return { config: parseStackConfig(edited("prod", edits), "prod"), state: readRolloutState(p.outputs.rollout)!, routingUpdateSeconds: 0.4 };
    };

    it("follows the stack's DNS TTL and the in-flight evaluation frequency", async () => {
        const base = alertPath(await at({}));
        const slow = alertPath(await at({ "slotshift:traffic.ttl": 300 }));
        const total = (h: { seconds: number }[]) => h.reduce((s, x) => s + x.seconds, 0);
        expect(total(slow) - total(base)).to.equal(270);
        expect(base.find((h) => h.hop === "next rule evaluation")).to.include({ seconds: 60, basis: "setting" });
    });

    it("has no DNS hop behind the Gateway API router", async () => {
        const hops = alertPath(await at({ "slotshift:traffic.router": "gateway-api" }));
        expect(hops.map((h) => h.hop)).not.to.include("clients follow the DNS answer");
        expect(hops.map((h) => h.hop)).to.include("the gateway applies the route");
    });

    it("prints each hop's share, the total and whether it meets the goal", async () => {
        const lines = renderPath("alert path", alertPath(await at({})), ALERT_PATH_GOAL_SECONDS);
        const shares = lines.filter((l) => / %  /.test(l)).map((l) => Number(/(\d+) %/.exec(l)![1]));
        expect(shares.reduce((a, b) => a + b, 0)).to.be.within(97, 103);
        expect(lines[lines.length - 1]).to.match(/total\s+\d+ +\(\d+\.\d min; (meets|MISSES) the goal of 4 min\)/);
    });

    describe("the gate path (slotshift analyze --watch in the step's job)", () => {
        // During the first canary step, as the bench models it.
        let five: Record<string, unknown>;
        before(async () => {
            const [, p] = await walk("prod", [{ "slotshift:rollout.weight": 0 }, { "slotshift:rollout.weight": 5 }]);
            five = p.outputs;
        });
        const at = async (edits: Record<string, unknown>) => ({ config: parseStackConfig(edited("prod", edits), "prod"), state: readRolloutState(five.rollout)!, routingUpdateSeconds: 0.4 });
        it("has no alert, relay, dispatch or job start: the step's job is there, watching every intervalSeconds", async () => {
            const gate = gatePath(await at({}));
            const alert = alertPath(await at({}));
            expect(gate.map((h) => h.hop)).to.deep.equal([
                "app exports the failed requests",
                "ingestion into the workspace",
                "the watch's next analysis",
                "the queries and the verdict",
                "slotshift rollback, the edit",
                "pulumi up, routing only",
                "clients follow the DNS answer",
            ]);
            // The same telemetry, update and DNS hops as the alert path: one definition of each.
            for (const hop of ["app exports the failed requests", "ingestion into the workspace", "pulumi up, routing only", "clients follow the DNS answer"]) {
                expect(gate.find((h) => h.hop === hop), hop).to.deep.equal(alert.find((h) => h.hop === hop));
            }
            expect(gate.find((h) => h.hop === "the watch's next analysis")).to.include({ seconds: 10, basis: "setting" });
            expect(total(gate)).to.be.lessThan(total(alert));
        });

        it("follows slotshift:analysis.intervalSeconds, the phase, the DNS TTL and the router", async () => {
            const base = total(gatePath(await at({})));
            expect(total(gatePath(await at({ "slotshift:analysis.intervalSeconds.canary": 60 }))) - base).to.equal(50);
            expect(total(gatePath(await at({ "slotshift:traffic.ttl": 10 }))) - base).to.equal(-20);
            const gateway = gatePath(await at({ "slotshift:traffic.router": "gateway-api" }));
            expect(gateway.map((h) => h.hop)).to.include("the gateway applies the route");
            // At 25 %, the gradual phase's interval.
            const [, , at25] = await walk("prod", [{ "slotshift:rollout.weight": 0 }, { "slotshift:rollout.weight": 5 }, { "slotshift:rollout.weight": 25 }]);
            const gradual = gatePath({ config: parseStackConfig(edited("prod", {}), "prod"), state: readRolloutState(at25.outputs.rollout)!, routingUpdateSeconds: 0.4 });
            expect(gradual.find((h) => h.hop === "the watch's next analysis")).to.include({ seconds: 30 });
        });

        it("prints both paths beside the release process's estimate of 3 minutes, and whether the gate meets its 2-minute goal", async () => {
            const input = await at({});
            const lines = renderComparison(gatePath(input), alertPath(input));
            expect(lines.join("\n")).to.match(/gate path \(the step's own job\)\s+\d+ s \(\d\.\d min\): (meets|MISSES) the goal of 2 min during a step/);
            expect(lines.join("\n")).to.contain("release-process estimate         180 s (3.0 min)");
            expect(GATE_PATH_GOAL_SECONDS).to.equal(120);
        });
    });
});
