/**
 * Colour for people: ANSI codes only when stdout is a terminal, and never with `--no-color` or
 * NO_COLOR (https://no-color.org). Without colour every function returns its text unchanged.
 */
export interface Style {
  readonly enabled: boolean;
  bold(text: string): string;
  dim(text: string): string;
  red(text: string): string;
  green(text: string): string;
  yellow(text: string): string;
  cyan(text: string): string;
}

const wrap = (open: number, close: number) => (text: string) => `\u001b[${open}m${text}\u001b[${close}m`;
const plain = (text: string) => text;

export function createStyle(enabled: boolean): Style {
  return enabled
    ? {
        enabled,
        bold: wrap(1, 22),
        dim: wrap(2, 22),
        red: wrap(31, 39),
        green: wrap(32, 39),
        yellow: wrap(33, 39),
        cyan: wrap(36, 39),
      }
    : { enabled, bold: plain, dim: plain, red: plain, green: plain, yellow: plain, cyan: plain };
}

/** Whether to colour: a terminal, `--color` not turned off, and NO_COLOR unset or empty. */
export const colourWanted = (
  isTTY: boolean,
  color: boolean,
  env: Record<string, string | undefined>,
): boolean => isTTY && color && !env.NO_COLOR;

// biome-ignore lint/suspicious/noControlCharactersInRegex: matching ANSI escape sequences is the point
const ANSI = /\u001b\[[0-9;]*m/g;

/** The printed width of `text`, ignoring colour codes. */
export const visibleLength = (text: string): number => text.replace(ANSI, '').length;
