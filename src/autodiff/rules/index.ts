// The rule table: one entry per op autodiff knows, each differentiable op's rule in its own file, and
// NO_GRADIENT for the ops whose outputs carry no gradient (indices, comparisons, shapes). Typed so that
// a missing or doubled entry fails to compile. An op that is in neither list has no gradient: the
// walker refuses it with UnsupportedGradient.
import { NO_GRADIENT, type CompositeRule, type GradRule } from '../types';
import { addGrad } from './add';
import { batchNormTrainGrad } from './batch-norm-train';
import { concatGrad } from './concat';
import { convGrad } from './conv';
import { divGrad } from './div';
import { expGrad } from './exp';
import { gemmGrad } from './gemm';
import { globalAveragePoolGrad } from './global-average-pool';
import { identityGrad } from './identity';
import { logGrad } from './log';
import { logSoftmaxGrad } from './log-softmax';
import { matmulGrad } from './matmul';
import { maxPoolGrad } from './max-pool';
import { mulGrad } from './mul';
import { negGrad } from './neg';
import { padGrad } from './pad';
import { reciprocalGrad } from './reciprocal';
import { reduceMeanGrad } from './reduce-mean';
import { reduceSumGrad } from './reduce-sum';
import { reduceSumSquareGrad } from './reduce-sum-square';
import { reluGrad } from './relu';
import { reshapeGrad } from './reshape';
import { sliceGrad } from './slice';
import { softmaxGrad } from './softmax';
import { softmaxCrossEntropyGrad } from './softmax-cross-entropy';
import { sqrtGrad } from './sqrt';
import { subGrad } from './sub';
import { sumGrad } from './sum';
import { transposeGrad } from './transpose';

export type DifferentiableOp =
  | 'Add' | 'Concat' | 'Conv' | 'Div' | 'Exp' | 'Flatten' | 'Gemm' | 'GlobalAveragePool' | 'Identity'
  | 'Log' | 'LogSoftmax' | 'MatMul' | 'MaxPool' | 'Mul' | 'Neg' | 'Pad' | 'Reciprocal' | 'ReduceMean'
  | 'ReduceSum' | 'ReduceSumSquare' | 'Relu' | 'Reshape' | 'Slice' | 'Softmax' | 'SoftmaxCrossEntropyLoss'
  | 'Sqrt' | 'Squeeze' | 'Sub' | 'Sum' | 'Transpose' | 'Unsqueeze';

/** Ops whose outputs carry no gradient to their inputs: integer or boolean results, shapes. */
export type NonDifferentiableOp = 'ArgMax' | 'Cast' | 'ConstantOfShape' | 'Equal' | 'Greater' | 'GreaterOrEqual' | 'Less' | 'Not' | 'OneHot' | 'Shape';

export const RULES = {
  Add: addGrad,
  Concat: concatGrad,
  Conv: convGrad,
  Div: divGrad,
  Exp: expGrad,
  Flatten: reshapeGrad,
  Gemm: gemmGrad,
  GlobalAveragePool: globalAveragePoolGrad,
  Identity: identityGrad,
  Log: logGrad,
  LogSoftmax: logSoftmaxGrad,
  MatMul: matmulGrad,
  MaxPool: maxPoolGrad,
  Mul: mulGrad,
  Neg: negGrad,
  Pad: padGrad,
  Reciprocal: reciprocalGrad,
  ReduceMean: reduceMeanGrad,
  ReduceSum: reduceSumGrad,
  ReduceSumSquare: reduceSumSquareGrad,
  Relu: reluGrad,
  Reshape: reshapeGrad,
  Slice: sliceGrad,
  Softmax: softmaxGrad,
  SoftmaxCrossEntropyLoss: softmaxCrossEntropyGrad,
  Sqrt: sqrtGrad,
  Squeeze: reshapeGrad,
  Sub: subGrad,
  Sum: sumGrad,
  Transpose: transposeGrad,
  Unsqueeze: reshapeGrad,
  ArgMax: NO_GRADIENT,
  Cast: NO_GRADIENT,
  ConstantOfShape: NO_GRADIENT,
  Equal: NO_GRADIENT,
  Greater: NO_GRADIENT,
  GreaterOrEqual: NO_GRADIENT,
  Less: NO_GRADIENT,
  Not: NO_GRADIENT,
  OneHot: NO_GRADIENT,
  Shape: NO_GRADIENT,
} satisfies Record<DifferentiableOp, GradRule> & Record<NonDifferentiableOp, typeof NO_GRADIENT>;

export type CompositeOp = 'BatchNormTrain';
export const COMPOSITE_RULES = {
  BatchNormTrain: batchNormTrainGrad,
} satisfies Record<CompositeOp, CompositeRule>;
