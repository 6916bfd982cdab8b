export { Morphism } from './types';
export { applyMorphisms } from './apply';
export { Decision, ChannelEstimates, SelectionOptions, resourceDelta, selectMorphisms } from './select';
