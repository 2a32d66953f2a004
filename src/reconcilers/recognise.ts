import type { CommandIO, MetadataBearer } from "@smithy/types";
import { awsErrorIs } from "../aws/errors.js";
import { checkBeforeRetry } from "../aws/retry-check.js";
import { ID_TAG, STACK_TAG, type Tags } from "./contract.js";
import { fingerprint } from "./fingerprint.js";

/**
 * Whether live tags say the resource is the one this node's create makes: this stack's and this node's
 * ownership tags, which the create call itself sets (`desiredTags` carries both).
 */
export function isOwnCreation(liveTags: Tags | undefined, desiredTags: Tags): boolean {
  return (
    liveTags !== undefined &&
    desiredTags[STACK_TAG] !== undefined &&
    liveTags[STACK_TAG] === desiredTags[STACK_TAG] &&
    liveTags[ID_TAG] === desiredTags[ID_TAG]
  );
}

export interface Recognition<Found> {
  /** The codes the service answers this create with when the resource exists already (`EntityAlreadyExists`). */
  alreadyExists: readonly string[];
  /** Reads the resource the create names: undefined when there is none. */
  read(): Promise<Found | undefined>;
  /** Its live tags (undefined: it has none, or they could not be read). */
  tagsOf(found: Found): Tags | undefined;
  /** Whether it is what the create sends, in what the create sets; without it, the ownership tags decide. */
  matches?(found: Found): boolean;
}

/**
 * Sends a create; when the service answers that the resource exists already, re-reads it, and if it is this
 * node's own (its ownership tags, set by the create call itself, and what was sent), the create is done: an
 * earlier attempt (an SDK retry after a lost answer, or a run that stopped before it could record the answer)
 * made it, and what was read is the answer. Anything else there is a conflict, and the service's error stands.
 */
export async function createRecognising<Created, Found>(
  create: () => Promise<Created>,
  desiredTags: Tags,
  recognition: Recognition<Found>,
): Promise<Created | Found> {
  try {
    return await create();
  } catch (error) {
    if (!awsErrorIs(error, ...recognition.alreadyExists)) throw error;
    const found = await recognition.read();
    if (found === undefined || !isOwnCreation(recognition.tagsOf(found), desiredTags)) throw error;
    if (recognition.matches && !recognition.matches(found)) throw error;
    return found;
  }
}

/**
 * An idempotency token for a create: the same for the same stack, address and desired content, so that a retry,
 * or the next run after a crash, sends the same one. Hex of a sha256, cut to the API's limit.
 */
export function idempotencyToken(stack: string, address: string, content: unknown, maxLength: number): string {
  return fingerprint([stack, address, content], maxLength);
}

/**
 * For a create that AWS or an emulator would carry out again when it is sent again: before each retry of
 * `command` (its answer lost), looks for this node's own resource as `recognition` reads it; found, it is the
 * call's answer (`answer` puts it in the form the call answers with), and the create is not sent again.
 */
export function recogniseBeforeRetry<Input extends object, Output extends MetadataBearer, Found>(
  command: CommandIO<Input, Output>,
  desiredTags: Tags,
  recognition: Omit<Recognition<Found>, "alreadyExists">,
  answer: (found: Found) => Omit<Output, "$metadata">,
): void {
  checkBeforeRetry(command, async () => {
    const found = await recognition.read();
    if (found === undefined || !isOwnCreation(recognition.tagsOf(found), desiredTags)) return undefined;
    return !recognition.matches || recognition.matches(found) ? answer(found) : undefined;
  });
}
