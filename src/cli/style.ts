import type { Writable } from "node:stream";

export interface Style {
  red(text: string): string;
  yellow(text: string): string;
  green(text: string): string;
  bold(text: string): string;
  dim(text: string): string;
}

const wrap = (open: number, close: number) => (text: string) => `\u001b[${open}m${text}\u001b[${close}m`;
const plain = (text: string) => text;

/** No colour: for text that goes into a message or a log line. */
export const plainStyle: Style = { red: plain, yellow: plain, green: plain, bold: plain, dim: plain };

/** Colour only on a terminal, and never when NO_COLOR is set (https://no-color.org). */
export function styleFor(stream: Writable & { isTTY?: boolean }, env: NodeJS.ProcessEnv = process.env): Style {
  const coloured = stream.isTTY === true && !env.NO_COLOR && env.TERM !== "dumb";
  if (!coloured) return plainStyle;
  return { red: wrap(31, 39), yellow: wrap(33, 39), green: wrap(32, 39), bold: wrap(1, 22), dim: wrap(2, 22) };
}
