// `nasgrow config-reference`: the README's config reference is this output.
import { configReference } from '../../config';

export function runConfigReference(out: { write(s: string): unknown } = process.stdout): void {
  out.write(configReference());
}
