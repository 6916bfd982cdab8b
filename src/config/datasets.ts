// What the config layer knows about each dataset before reading it: image shape and class count.
// (image-folder datasets are known only once their folders and images are read.)

export const DATASETS = ['cifar10', 'cifar100', 'mnist', 'fashion-mnist', 'image-folder'] as const;
export type Dataset = (typeof DATASETS)[number];

export interface DataShape {
  /** [channels, height, width] of one image */
  inputShape: [number, number, number];
  classes: number;
}

const KNOWN: Record<Exclude<Dataset, 'image-folder'>, DataShape> = {
  cifar10: { inputShape: [3, 32, 32], classes: 10 },
  cifar100: { inputShape: [3, 32, 32], classes: 100 },
  mnist: { inputShape: [1, 28, 28], classes: 10 },
  'fashion-mnist': { inputShape: [1, 28, 28], classes: 10 },
};

/** Image shape and class count of a built-in dataset; null for image-folder. */
export function datasetShape(dataset: Dataset): DataShape | null {
  if (dataset === 'image-folder') return null;
  const s = KNOWN[dataset];
  return { inputShape: [...s.inputShape], classes: s.classes };
}
