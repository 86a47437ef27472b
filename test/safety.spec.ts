import { expect } from "chai";
import { ALERT_PATH_GOAL_SECONDS, alertPath, renderPath } from "../bench/safety";
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
});
