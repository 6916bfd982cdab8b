// The morphisms nasgrow applies to one output channel of a dense layer (paper §3.1).
//
//   split: channel c becomes two channels with incoming kernels w_in[c] + θ and w_in[c] − θ, each
//          with half of c's outgoing weights; θ = 0 preserves the function exactly.
//   prune: channel c is removed (docs/method.md#prune-morphism: removal is what is applied, not the paper's θ = w_in).
export type Morphism =
  | {
      kind: 'split';
      /** name of the dense layer (ArchState.layers[i].name) */
      layer: string;
      /** output channel, indexed in the state the morphism is applied to */
      channel: number;
      /** θ: the shape of one incoming kernel, in·k·k values in [in, k, k] order, indexed by the
       *  layer's input channels of that same state */
      theta: Float32Array;
    }
  | { kind: 'prune'; layer: string; channel: number };

export type MorphismKind = Morphism['kind'];
