import type { Style } from "../../src/cli/style.js";

/** Wraps every coloured span in visible markers, so a test can see which style was applied to what. */
export const MARKED: Style = {
  red: (t) => `<red>${t}</red>`,
  yellow: (t) => `<yellow>${t}</yellow>`,
  green: (t) => `<green>${t}</green>`,
  bold: (t) => `<bold>${t}</bold>`,
  dim: (t) => `<dim>${t}</dim>`,
};
