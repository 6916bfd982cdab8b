// `nasgrow validate`: a config is valid when it loads; print what it resolves to.
import { loadConfig, renderConfigYaml } from '../../config';

/** The command line of `nasgrow validate` (see ./command-object.ts). */
export interface ValidateArgs {
  config: string;
}

/** `nasgrow validate`: print the resolved config. @throws ConfigError (exit 1) listing every problem. */
export function runValidate(args: ValidateArgs, out: { write(s: string): unknown } = process.stdout): void {
  const cfg = loadConfig(args.config);
  out.write(renderConfigYaml(cfg, { header: [`${args.config} is valid; resolved with defaults, paths absolute`] }));
}
