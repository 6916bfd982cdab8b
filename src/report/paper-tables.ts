// The rows of the paper's Table 1 (CIFAR-10) and Table 2 (CIFAR-100), as published (Lawton, Galstyan,
// Ver Steeg, "Learning Morphisms with Gauss-Newton Approximation for Growing Networks"; docs/method.md
// says which of its choices nasgrow follows), for `nasgrow table` to print beside nasgrow's results.
//
// The numbers are kept as the text the paper prints ("20.0", not 20), so that a table shows exactly
// what was published. An empty GPU-time cell is empty in the paper; "N/A" is printed there.

/** One published row. */
export interface PaperRow {
  table: 1 | 2;
  dataset: 'cifar10' | 'cifar100';
  /** the paper's grouping: SOTA, Morphisms, Human-designed, Ours */
  type: string;
  /** the Reference column (for "Ours": the seed and λ_p) */
  reference: string;
  /** test error, %, as printed */
  error: string;
  /** parameters, millions, as printed */
  paramsM: string;
  /** GPU time, days, as printed ('' where the cell is empty) */
  gpuDays: string;
  /** "Ours" rows: the seed network and λ_p, to sit beside nasgrow's runs of that setting */
  ours?: { family: 'vgg19' | 'mobilenetv1'; width: number; lambdaP: number };
}

const ours = (table: 1 | 2, family: 'vgg19' | 'mobilenetv1', lambdaP: number, lambdaText: string, error: string, paramsM: string, gpuDays: string): PaperRow => ({
  table,
  dataset: table === 1 ? 'cifar10' : 'cifar100',
  type: 'Ours',
  reference: `Seed ${family === 'vgg19' ? 'VGG-19' : 'MobileNetV1'}, λ_p = ${lambdaText}`,
  error,
  paramsM,
  gpuDays,
  // the paper's seeds: VGG-19 with 16 channels per conv, MobileNetV1 with 32 (its §4)
  ours: { family, width: family === 'vgg19' ? 16 : 32, lambdaP },
});

const other = (table: 1 | 2, type: string, reference: string, error: string, paramsM: string, gpuDays: string): PaperRow => ({
  table,
  dataset: table === 1 ? 'cifar10' : 'cifar100',
  type,
  reference,
  error,
  paramsM,
  gpuDays,
});

/** Every row of Tables 1 and 2, in the paper's order. */
export const PAPER_ROWS: readonly PaperRow[] = [
  other(1, 'SOTA', 'AmoebaNet-A', '3.3', '3.2', '3150'),
  other(1, 'SOTA', 'NASNET-A', '3.4', '3.3', '2000'),
  other(1, 'SOTA', 'Large-scale Evolution', '5.4', '5.4', '2600'),
  other(1, 'Morphisms', 'NASH', '5.2', '19.7', '1.0'),
  other(1, 'Morphisms', 'Slimming', '6.2', '2.3', ''),
  other(1, 'Morphisms', 'Firefly', '6.2', '1.9', ''),
  other(1, 'Morphisms', 'Net2Net', '6.5', '3.9', '2.1'),
  other(1, 'Human-designed', 'DenseNet', '3.5', '25.6', 'N/A'),
  other(1, 'Human-designed', 'VGG-19 Baseline', '6.3', '20.0', 'N/A'),
  other(1, 'Human-designed', 'ResNet', '6.4', '1.7', 'N/A'),
  other(1, 'Human-designed', 'MobileNetV1 Baseline', '6.6', '3.2', 'N/A'),
  ours(1, 'vgg19', 3e-7, '3 × 10⁻⁷', '5.6', '1.2', '0.7'),
  ours(1, 'vgg19', 1e-6, '1 × 10⁻⁶', '6.5', '0.6', '0.5'),
  ours(1, 'mobilenetv1', 3e-8, '3 × 10⁻⁸', '5.8', '0.8', '1.0'),
  ours(1, 'mobilenetv1', 3e-7, '3 × 10⁻⁷', '6.0', '0.5', '1.0'),
  // printed "λ_n = 1 × 10⁻⁶" in the paper, a typo: every other row of its method is λ_p
  ours(1, 'mobilenetv1', 1e-6, '1 × 10⁻⁶', '6.2', '0.4', '0.7'),
  other(2, 'SOTA', 'Large-scale Evolution', '23.0', '40.4', ''),
  other(2, 'SOTA', 'SMASH', '22.1', '4.6', ''),
  other(2, 'Morphisms', 'NASH', '23.4', '22.3', '1.0'),
  other(2, 'Morphisms', 'Slimming', '26.5', '5.0', ''),
  other(2, 'Human-designed', 'DenseNet', '17.2', '25.6', 'N/A'),
  other(2, 'Human-designed', 'ResNet', '27.2', '1.7', 'N/A'),
  other(2, 'Human-designed', 'VGG-19 Baseline', '27.6', '20.1', 'N/A'),
  other(2, 'Human-designed', 'MobileNetV1 Baseline', '28.7', '3.3', 'N/A'),
  ours(2, 'vgg19', 3e-7, '3 × 10⁻⁷', '27.2', '2.2', '0.7'),
  ours(2, 'vgg19', 6e-7, '6 × 10⁻⁷', '28.0', '1.6', '0.6'),
  ours(2, 'mobilenetv1', 1e-6, '1 × 10⁻⁶', '27.2', '0.8', '0.8'),
  ours(2, 'mobilenetv1', 6e-7, '6 × 10⁻⁷', '26.9', '1.3', '1.0'),
  ours(2, 'mobilenetv1', 3e-7, '3 × 10⁻⁷', '25.9', '1.4', '1.0'),
];

/**
 * The budget of the paper's own runs (its §4): 30 cycles of a 20-epoch training phase and a 20-epoch
 * growing phase, then retraining from scratch (for how many epochs, the paper does not say).
 */
export const PAPER_BUDGET = '30×(20+20) + retraining';
