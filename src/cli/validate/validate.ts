// `nasgrow validate`: a config is valid when it loads; print what it resolves to.
import { loadConfig, renderConfigYaml } from '../../config';
import type { ValidateArgs } from './command-object';

export function runValidate(args: ValidateArgs, out: { write(s: string): unknown } = process.stdout): void {
  const cfg = loadConfig(args.config);
  out.write(renderConfigYaml(cfg, { header: [`${args.config} is valid; resolved with defaults, paths absolute`] }));
}
