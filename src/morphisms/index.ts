// The morphism layer: what a morphism is, how the ones worth applying are chosen, how they are applied.
export { Morphism, MorphismKind } from './types';
export { applyMorphisms, ApplyOptions } from './apply';
export { resourceDelta, signedDelta, ResourceDelta } from './resources';
export { selectMorphisms, topCount, Decision, DecisionReason, ChannelEstimates, SelectionOptions } from './select';
export { randomDecisions, LayerCounts } from './random';
export { slimmingPrunes, SlimmingResult } from './slimming';
export { steepestDecisions, steepestTheta } from './steepest';
