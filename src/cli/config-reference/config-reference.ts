// `nasgrow config-reference`: the README's config reference is this output.
import { configReference } from '../../config';

/** `nasgrow config-reference`: print the config reference table. */
export function runConfigReference(out: { write(s: string): unknown } = process.stdout): void {
  out.write(configReference());
}
