// The morphisms nasgrow applies: splitting a channel in two, and pruning a channel.
export type Morphism =
  | {
      kind: 'split';
      layer: string;
      /** channel index in the state the morphism is applied to */
      channel: number;
      /** θ: the shape of one incoming kernel (in·k·k); the copies get w_in + θ and w_in − θ */
      theta: Float32Array;
    }
  | { kind: 'prune'; layer: string; channel: number };
