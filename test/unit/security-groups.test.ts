import { describe, expect, it } from "vitest";
import { UNKNOWN } from "../../src/plan/model.js";
import {
  candidateNames,
  diffSecurityGroup,
  generationName,
  isNameOf,
  pickSecurityGroup,
  successorOf,
  type ObservedSecurityGroup,
  type OwnedSecurityGroupDesired,
} from "../../src/reconcilers/ec2/security-groups/model.js";

const VPC = "vpc-0123456789abcdef0";
const OURS = { "reconcile:stack": "shop", "reconcile:id": "securityGroups/web" };
const NAME = "shop-web";

const desired = (description = "web tier", more: Partial<OwnedSecurityGroupDesired> = {}): OwnedSecurityGroupDesired => ({
  owned: true,
  name: NAME,
  vpcId: VPC,
  description,
  descriptionSet: true,
  tags: { ...OURS },
  ...more,
});

let ids = 0;
const live = (name: string, description: string, tags: Record<string, string> = OURS): ObservedSecurityGroup => ({
  name,
  id: `sg-${String(++ids).padStart(17, "0")}`,
  tags: { ...tags },
  vpcId: VPC,
  description,
});

const generation = (description: string) => generationName(NAME, description, VPC);

describe("generationName", () => {
  it("is the name, a hyphen and 7 hex digits of the description and VPC: deterministic, different for either", () => {
    expect(generation("web tier")).toMatch(/^shop-web-[0-9a-f]{7}$/);
    expect(generation("web tier")).toBe(generation("web tier"));
    expect(generation("web tier")).not.toBe(generation("web tier 2"));
    expect(generation("web tier")).not.toBe(generationName(NAME, "web tier", "vpc-0fedcba9876543210"));
  });

  it("stays within AWS's 255 characters for the longest name", () => {
    expect(generationName("a".repeat(255), "d", VPC)).toHaveLength(255);
  });

  it("is not known while the VPC is not", () => {
    expect(candidateNames(desired("web tier", { vpcId: UNKNOWN }))).toEqual([NAME]);
    expect(candidateNames(desired())).toEqual([NAME, generation("web tier")]);
  });

  it.each([
    [NAME, true],
    ["shop-web-0a1b2c3", true],
    ["shop-web-0A1B2C3", false],
    ["shop-web-0a1b2c", false],
    ["shop-web-extra", false],
    ["shop-api", false],
  ])("%s is a name of shop-web: %s", (name, expected) => {
    expect(isNameOf(desired(), name)).toBe(expected);
  });
});

describe("pickSecurityGroup", () => {
  const cases: Array<[string, ObservedSecurityGroup[], number | undefined]> = [
    ["ours and current under the spec's name", [live(NAME, "web tier")], 0],
    [
      "ours and current under the generation name, over ours outdated under the spec's",
      [live(NAME, "old"), live(generation("web tier"), "web tier")],
      1,
    ],
    ["both current (a stopped replacement): the spec's name first", [live(generation("web tier"), "web tier"), live(NAME, "web tier")], 1],
    ["ours outdated under an older generation's name: replaced from it", [live(generation("old"), "old")], 0],
    ["another stack's under the spec's name: the planner's conflict", [live(NAME, "web tier", { "reconcile:stack": "other" })], 0],
    ["an untagged one under the spec's name (adopt decides)", [live(NAME, "web tier", {})], 0],
    [
      "another stack's under the spec's name, ours current under the generation name",
      [live(NAME, "x", { "reconcile:stack": "other" }), live(generation("web tier"), "web tier")],
      1,
    ],
    ["an untagged one under the generation name only: not the node's", [live(generation("web tier"), "web tier", {})], undefined],
  ];
  it.each(cases)("%s", (_, candidates, expected) => {
    expect(pickSecurityGroup(desired(), candidates)).toBe(expected === undefined ? undefined : candidates[expected]);
  });

  it("a description the spec leaves out is never outdated", () => {
    const candidates = [live(generation("other"), "other"), live(NAME, "anything")];
    expect(pickSecurityGroup(desired("default", { descriptionSet: false }), candidates)).toBe(candidates[1]);
  });
});

describe("successorOf and the diff", () => {
  it("alternates: from the spec's name to the generation name, from any generation name back", () => {
    expect(successorOf(desired("new"), live(NAME, "old"))).toEqual({
      desired: desired("new", { name: generation("new") }),
      name: generation("new"),
    });
    expect(successorOf(desired("new"), live(generation("old"), "old"))).toEqual({ desired: desired("new"), name: NAME });
  });

  it("a group under a generation name is what the spec names; only what AWS cannot change forces a replacement", () => {
    expect(diffSecurityGroup(desired(), live(generation("web tier"), "web tier")).lines).toEqual([]);
    expect(diffSecurityGroup(desired("new"), live(generation("old"), "old")).lines).toEqual([
      { path: "description", before: "old", after: "new", forcesReplacement: true },
    ]);
  });

  it("a group under another name (the spec renamed it) is replaced", () => {
    expect(diffSecurityGroup(desired(), live("shop-frontend", "web tier")).lines).toEqual([
      { path: "name", before: "shop-frontend", after: NAME, forcesReplacement: true },
    ]);
  });
});
