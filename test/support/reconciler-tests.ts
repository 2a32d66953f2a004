import type { MetadataBearer, MiddlewareStack } from "@smithy/types";
import { isWriteAction } from "../../src/aws/index.js";
import type { Outputs } from "../../src/reconcilers/contract.js";

/** A name no other test uses: every test file shares one moto server. */
export const uniqueName = () => `t${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}`;

/** Outputs for a kind whose nodes refer to nothing. */
export const NO_OUTPUTS: Outputs = {
  string: () => {
    throw new Error("this kind refers to nothing");
  },
  list: () => {
    throw new Error("this kind refers to nothing");
  },
};

/**
 * Records every action sent through one SDK client, in order, with its input, so that a test can hold a
 * reconciler to exactly the calls it needs (the run's CallStats only count them).
 */
export function recordCalls<I extends object, O extends MetadataBearer>(
  client: { middlewareStack: MiddlewareStack<I, O> },
  /** Give several clients one list to see their calls in the order they were sent. */
  sent: Array<{ action: string; input: Record<string, unknown> }> = [],
) {
  client.middlewareStack.add(
    (next, context) => (args) => {
      sent.push({ action: context.commandName!.replace(/Command$/, ""), input: args.input as Record<string, unknown> });
      return next(args);
    },
    { step: "initialize", name: "recordCalls" },
  );
  return {
    sent,
    actions: () => sent.map((c) => c.action),
    writes: () => sent.map((c) => c.action).filter(isWriteAction),
    reset: () => {
      sent.length = 0;
    },
  };
}
