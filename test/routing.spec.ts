/**
 * The traffic arithmetic of rollout/routing.ts, on its own: what each router is told for every
 * whole percentage, and the label values Kubernetes accepts (a label value is at most 63
 * characters of [A-Za-z0-9._-], starting and ending with a letter or digit: kubernetes.io,
 * "Labels and Selectors", syntax and character set).
 */
import { expect } from "chai";
import * as fc from "fast-check";
import { SLOT_COLOURS, otherSlot } from "../rollout/config";
import { labelValue, slotWeights, trafficManagerWeights } from "../rollout/routing";

const LABEL = /^([A-Za-z0-9]([A-Za-z0-9._-]{0,61}[A-Za-z0-9])?)?$/;

describe("routing arithmetic", () => {
    it("gives Traffic Manager weights of ten times the percentage, 1 to 1000, and disables an endpoint at 0 %", () => {
        for (const live of SLOT_COLOURS) {
            const cand = otherSlot(live);
            for (let w = 0; w <= 100; w++) {
                const r = trafficManagerWeights(live, w);
                expect(Object.keys(r).sort()).to.deep.equal(["blue", "green"]);
                expect(r[cand]).to.deep.equal(w === 0 ? { weight: 1, status: "Disabled" } : { weight: w * 10, status: "Enabled" });
                expect(r[live]).to.deep.equal(w === 100 ? { weight: 1, status: "Disabled" } : { weight: (100 - w) * 10, status: "Enabled" });
                // Azure takes endpoint weights from 1 to 1000 (azure-rest-api-specs, trafficmanager: Endpoint.weight).
                for (const c of SLOT_COLOURS) {
                    expect(r[c].weight).to.be.within(1, 1000);
                }
            }
        }
    });

    it("refuses a weight that is not a whole percentage from 0 to 100, naming it", () => {
        for (const bad of [-1, 101, 2.5, Number.NaN, Number.POSITIVE_INFINITY]) {
            expect(() => trafficManagerWeights("blue", bad)).to.throw(`candidate weight ${bad} is not a whole percentage from 0 to 100`);
        }
        expect(() => trafficManagerWeights("blue", 0)).to.not.throw();
        expect(() => trafficManagerWeights("blue", 100)).to.not.throw();
    });

    it("gives each slot its share, summing to 100, the candidate's the weight", () => {
        for (const live of SLOT_COLOURS) {
            for (let w = 0; w <= 100; w++) {
                expect(slotWeights(live, w)).to.deep.equal({ [live]: 100 - w, [otherSlot(live)]: w });
            }
        }
    });

    it("turns any text into a label value Kubernetes accepts, keeping what is already one", () => {
        expect(labelValue("1.2.0-alpha.3+build.140")).to.equal("1.2.0-alpha.3_build.140");
        expect(labelValue("1.2.0")).to.equal("1.2.0");
        expect(labelValue("_-1.0.0-_")).to.equal("1.0.0");
        expect(labelValue("+")).to.equal("");
        expect(labelValue("a".repeat(63))).to.equal("a".repeat(63));
        expect(labelValue(`${"9".repeat(62)}.x`)).to.equal("9".repeat(62));
        fc.assert(
            fc.property(fc.string({ maxLength: 100 }), (text) => {
                const v = labelValue(text);
                expect(v).to.match(LABEL);
                expect(v.length).to.be.at.most(63);
                if (LABEL.test(text) && text.length <= 63) {
                    expect(v).to.equal(text);
                }
            }),
            { numRuns: 500 },
        );
    });
});
