import { formatAwsError } from "../aws/errors.js";

/** One line for a failure: AWS's service, action, code and message when it came from AWS, else the message. */
export function describeFailure(error: unknown): string {
  if (error instanceof Error && "action" in error) return formatAwsError(error);
  return error instanceof Error ? error.message : String(error);
}
