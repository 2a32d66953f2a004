import { describe, expect, it } from "vitest";
import { ID_TAG, STACK_TAG } from "../../src/reconcilers/contract.js";
import { createRecognising, idempotencyToken, isOwnCreation } from "../../src/reconcilers/recognise.js";

const own = { [STACK_TAG]: "shop", [ID_TAG]: "roles/exec", team: "a" };
/** An error as the SDK throws it for IAM's EntityAlreadyExists (the query protocol's name and wire code). */
const alreadyExists = Object.assign(new Error("Role with name exec already exists."), {
  name: "EntityAlreadyExistsException",
  Code: "EntityAlreadyExists",
});
const failingCreate = (error: unknown) => () => Promise.reject(error);

describe("isOwnCreation", () => {
  it.each([
    ["this stack's and this node's tags", { ...own, extra: "x" }, true],
    ["another stack's", { ...own, [STACK_TAG]: "other" }, false],
    ["another node's of this stack", { ...own, [ID_TAG]: "roles/other" }, false],
    ["no ownership tags", { team: "a" }, false],
    ["no tags read", undefined, false],
  ])("%s: %s", (_, live, expected) => {
    expect(isOwnCreation(live, own)).toBe(expected);
  });
});

describe("createRecognising", () => {
  it("returns the create's answer when the create succeeds, without reading", async () => {
    let reads = 0;
    const result = await createRecognising(() => Promise.resolve("created"), own, {
      alreadyExists: ["EntityAlreadyExists"],
      read: async () => (reads++, "found"),
      tagsOf: () => own,
    });
    expect(result).toBe("created");
    expect(reads).toBe(0);
  });

  it("an 'already exists' of this node's own resource, as sent, is the create done: what was read is the answer", async () => {
    const result = await createRecognising(failingCreate(alreadyExists), own, {
      alreadyExists: ["EntityAlreadyExists"],
      read: async () => ({ arn: "arn:aws:iam::123456789012:role/exec", tags: own }),
      tagsOf: (found) => found.tags,
      matches: () => true,
    });
    expect(result).toEqual({ arn: "arn:aws:iam::123456789012:role/exec", tags: own });
  });

  const cases: Array<[string, { tags: Record<string, string> } | undefined, () => boolean]> = [
    ["it is someone else's", { tags: { team: "a" } }, () => true],
    ["it is another stack's", { tags: { ...own, [STACK_TAG]: "other" } }, () => true],
    ["it differs from what was sent", { tags: own }, () => false],
    ["it is gone again", undefined, () => true],
  ];
  it.each(cases)("an 'already exists' stays a conflict when %s", async (_, found, matches) => {
    const error = await createRecognising(failingCreate(alreadyExists), own, {
      alreadyExists: ["EntityAlreadyExists"],
      read: async () => found,
      tagsOf: (f) => f.tags,
      matches,
    }).catch((e: unknown) => e);
    expect(error).toBe(alreadyExists);
  });

  it("any other error is thrown as it is, without reading", async () => {
    const other = Object.assign(new Error("denied"), { name: "AccessDenied" });
    let reads = 0;
    const error = await createRecognising(failingCreate(other), own, {
      alreadyExists: ["EntityAlreadyExists"],
      read: async () => (reads++, { tags: own }),
      tagsOf: (f) => f.tags,
    }).catch((e: unknown) => e);
    expect(error).toBe(other);
    expect(reads).toBe(0);
  });
});

describe("idempotencyToken", () => {
  it("is the same for the same stack, address and content, and differs when any of them does", () => {
    const token = idempotencyToken("shop", "services/web", { desiredCount: 2 }, 36);
    expect(token).toMatch(/^[0-9a-f]{36}$/);
    expect(idempotencyToken("shop", "services/web", { desiredCount: 2 }, 36)).toBe(token);
    expect(idempotencyToken("shop", "services/web", { desiredCount: 3 }, 36)).not.toBe(token);
    expect(idempotencyToken("shop", "services/api", { desiredCount: 2 }, 36)).not.toBe(token);
    expect(idempotencyToken("other", "services/web", { desiredCount: 2 }, 36)).not.toBe(token);
    expect(idempotencyToken("shop", "services/web", { desiredCount: 2 }, 64)).toHaveLength(64);
  });
});
