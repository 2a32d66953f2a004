import { InvalidArgumentError, type Command } from "commander";
import { addSpecFiles, lockOptions, maxFileSizeOption, waitTimeoutOption } from "./options.js";

export interface StackOptions {
  file: string[];
  /** Bytes: a larger spec file is refused. */
  maxFileSize: number;
  profile?: string;
  endpoint?: string;
  json?: boolean;
  stats?: boolean;
  parallelism: number;
}

/** The options of the commands that change AWS. */
export interface ChangeOptions extends StackOptions {
  yes?: boolean;
  /** Milliseconds. */
  waitTimeout: number;
  /** `--no-wait` makes it false (apply only). */
  wait?: boolean;
  /** Milliseconds to wait for another run's lease (0: fail at once). */
  lockTimeout: number;
  /** Milliseconds the lease lasts unless renewed. */
  lockTtl: number;
  detailedExitcode?: boolean;
  /** Deploy again a task definition content whose deployment failed (apply only). */
  retryFailed?: boolean;
}

export function positiveInteger(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError("expected a whole number of at least 1");
  return n;
}

/** The options plan, apply and delete share: the spec, where AWS is, and how to report. */
export function addStackOptions(command: Command): Command {
  return addSpecFiles(command)
    .addOption(maxFileSizeOption())
    .option("--profile <name>", "profile of the shared AWS config files")
    .option("--endpoint <url>", "send every AWS call to this endpoint, such as a local moto server (default: AWS_ENDPOINT_URL, else AWS)")
    .option("--json", "print the result as JSON on stdout (format in the README)")
    .option("--stats", "show the AWS calls made, by service and action")
    .option("--parallelism <n>", "at most this many resources change at once", positiveInteger, 10);
}

/** The options of the commands that change AWS: confirmation, the lease, the service waits, exit codes. */
export function addChangeOptions(command: Command): Command {
  addStackOptions(command)
    .option("-y, --yes", "go ahead without asking (required when not on a terminal)")
    .addOption(waitTimeoutOption())
    .option("--detailed-exitcode", "exit 0 when nothing changed, 2 when something did, 1 on failure");
  for (const option of lockOptions()) command.addOption(option);
  return command;
}
