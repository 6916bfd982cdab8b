// The dataset kinds nasgrow reads (config key data.dataset) and what is known of each before reading
// it: image shape and class count. An image-folder's are known only once its folders are read.

export const DATASET_KINDS = ['cifar10', 'cifar100', 'mnist', 'fashion-mnist', 'image-folder'] as const;
export type DatasetKind = (typeof DATASET_KINDS)[number];

export interface DataShape {
  /** [channels, height, width] of one image */
  inputShape: [number, number, number];
  classes: number;
}

const KNOWN: Record<Exclude<DatasetKind, 'image-folder'>, DataShape> = {
  cifar10: { inputShape: [3, 32, 32], classes: 10 },
  cifar100: { inputShape: [3, 32, 32], classes: 100 },
  mnist: { inputShape: [1, 28, 28], classes: 10 },
  'fashion-mnist': { inputShape: [1, 28, 28], classes: 10 },
};

/** Image shape and class count of a built-in dataset kind; null for image-folder. */
export function datasetShape(kind: DatasetKind): DataShape | null {
  if (kind === 'image-folder') return null;
  const s = KNOWN[kind];
  return { inputShape: [...s.inputShape], classes: s.classes };
}
