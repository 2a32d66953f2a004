import { Option } from "commander";

/** `-f FILE`, repeatable (`-f base.yaml -f prod.yaml`): later files are merged over earlier ones. */
export function specFilesOption({ required }: { required: boolean }): Option {
  const option = new Option("-f, --file <path...>", "spec file; give several to merge overlays over a base, in order");
  return required ? option.makeOptionMandatory() : option;
}
