// nasgrow's command line. The root is a list of commands; each command's yargs module lives in
// src/cli/<command>/command-object.ts and loads its logic only when it runs. Errors from any
// command reach the one handler below, which alone exits the process.
import yargs from 'yargs';
import { configReferenceCommand } from './config-reference/command-object';
import { UsageError, reportError } from './errors';
import { exportSeedsCommand } from './export-seeds/command-object';
import { exportCommand } from './export/command-object';
import { trainCommand } from './train/command-object';
import { runCommand } from './run/command-object';
import { experimentCommand } from './experiment/command-object';
import { tableCommand } from './table/command-object';
import { validateCommand } from './validate/command-object';
import { plotCommand } from './plot/command-object';
import { reportCommand } from './report/command-object';
import { sweepCommand } from './sweep/command-object';
import { nasgrowVersion } from './version';

const COMMANDS = ['run', 'train', 'sweep', 'table', 'export', 'export-seeds', 'experiment', 'plot', 'report', 'validate', 'config-reference'];

/** The yargs parser of nasgrow's command line; `.fail` turns argument problems into UsageErrors. */
export function buildCli(argv: string[]) {
  return yargs(argv)
    .scriptName('nasgrow')
    .usage('$0 <command> [options]\n\nGrow CNNs by network morphisms learned with a Gauss-Newton approximation, trained on ONNX Runtime.')
    .command(runCommand)
    .command(trainCommand)
    .command(sweepCommand)
    .command(tableCommand)
    .command(exportCommand)
    .command(exportSeedsCommand)
    .command(experimentCommand)
    .command(plotCommand)
    .command(reportCommand)
    .command(validateCommand)
    .command(configReferenceCommand)
    .option('verbose', { type: 'boolean', default: false, global: true, describe: 'print the stack trace of an error' })
    .middleware((parsed) => {
      // a number option given text: yargs makes it NaN, which later messages would print as "NaN"
      for (const [key, value] of Object.entries(parsed)) {
        if (typeof value === 'number' && Number.isNaN(value) && key.length > 1 && !key.includes('-')) {
          throw new UsageError(usageMessage(`--${key} must be a number, got ${JSON.stringify(rawOption(argv, key) ?? '')}`, argv));
        }
      }
    }, true)
    .demandCommand(1, 'name a command')
    .recommendCommands()
    .strict()
    .help()
    .alias('help', 'h')
    .version(nasgrowVersion())
    .wrap(Math.min(110, process.stdout.columns ?? 100))
    .fail((message: string | null, err: Error | null) => {
      // yargs' own complaints about the arguments become usage errors; errors from handlers pass on
      if (err && err.name !== 'YError') throw err;
      throw new UsageError(usageMessage(message ?? err?.message ?? 'invalid arguments', argv));
    })
    .exitProcess(false);
}

/** What followed --key (or --key=) on the command line; null when it is not there. */
function rawOption(argv: string[], key: string): string | null {
  const flag = `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === flag) return argv[i + 1] ?? null;
    if (argv[i]!.startsWith(`${flag}=`)) return argv[i]!.slice(flag.length + 1);
  }
  return null;
}

function usageMessage(message: string, argv: string[]): string {
  const command = argv.find((a) => !a.startsWith('-'));
  const suggestion = /^Did you mean (.+)\?$/.exec(message);
  const text = suggestion ? `unknown command ${JSON.stringify(command)} (did you mean ${suggestion[1]}?)` : message;
  const help = command && !suggestion && COMMANDS.includes(command) ? `nasgrow ${command} --help` : 'nasgrow --help';
  return `${text}\nrun \`${help}\` for usage`;
}

/** Run the CLI; on error print it and exit 1 (user error) or 2 (internal error). */
export async function main(argv: string[] = process.argv.slice(2)): Promise<void> {
  // A reader that stops early (`nasgrow table runs | head`, `nasgrow run c.yaml 2>&1 | head`) closes
  // the pipe: what follows is not wanted, so it is dropped rather than crashing the command with an
  // unhandled EPIPE; a run goes on (train.log has every line)
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code !== 'EPIPE' && e.code !== 'ERR_STREAM_DESTROYED') throw e;
    });
  }
  try {
    await buildCli(argv).parseAsync();
  } catch (err) {
    process.exit(reportError(err, argv.includes('--verbose'), process.stderr));
  }
}

if (require.main === module) void main();
