/**
 * Options that mean something to some commands only. The settings of the server and of the database
 * are accepted by every command (a script may pass the same ones to all); these would be ignored by
 * any other command, so one given to another is refused rather than silently dropped, as when
 * `--out` meant for `keys export` is given to `export`, whose file is its argument.
 */
const COMMAND_OPTIONS: Readonly<Record<string, readonly string[]>> = {
  json: ['verify', 'bench'], proof: ['verify'], consistency: ['verify'], checkpoint: ['verify'], keys: ['verify'], out: ['keys'],
};

/** Why `command` may not take one of `given` (option names without dashes), or null when it may take them all. */
export function misplacedOption(command: string, given: readonly string[]): string | null {
  const misplaced = given.find((name) => COMMAND_OPTIONS[name] && !COMMAND_OPTIONS[name].includes(command));
  if (!misplaced) return null;
  const owners = (COMMAND_OPTIONS[misplaced] as readonly string[]).map((owner) => `sluice ${owner}`).join(' and ');
  return `${command} does not take --${misplaced} (an option of ${owners})`;
}
