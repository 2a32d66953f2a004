/** `${NAME}`, `${NAME:-default}`; `$${` writes a literal `${`. */
const EXPRESSION = /\$\$\{|\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}|\$\{([^}]*)\}?/g;

export type Environment = Readonly<Record<string, string | undefined>>;

export interface InterpolationProblem {
  /** Offset of the `${` within the text. */
  offset: number;
  message: string;
}

export function hasInterpolation(text: string): boolean {
  return text.includes("${");
}

/** Replaces every expression in `text`; problems are collected, never thrown, so all of them are reported. */
export function interpolate(text: string, env: Environment): { value: string; problems: InterpolationProblem[] } {
  const problems: InterpolationProblem[] = [];
  const value = text.replace(
    EXPRESSION,
    (match, name: string | undefined, fallback: string | undefined, _bad: string | undefined, offset: number) => {
      if (match === "$${") return "${";
      if (name === undefined) {
        problems.push({ offset, message: `cannot read ${JSON.stringify(match)}: write \${NAME} or \${NAME:-default}` });
        return match;
      }
      const set = env[name];
      // As in shells: `:-` also replaces a variable that is set but empty.
      if (set !== undefined && (set !== "" || fallback === undefined)) return set;
      if (fallback !== undefined) return fallback;
      problems.push({
        offset,
        message: `environment variable ${name} is not set and has no default (write \${${name}:-default} to give one)`,
      });
      return match;
    },
  );
  return { value, problems };
}
