// The data layer's public surface: loaders, normalisation, augmentation and batching.
export { Dataset, Split, exampleSize, classCounts, fingerprint, selectExamples } from './dataset';
export { DataError } from './errors';
export { checkDataset, checkSplitsMatch } from './checks';
export { DatasetKind, DatasetSpec, isImageTree, loadDataset } from './load-dataset';
export { loadMnist, MnistVariant } from './mnist';
export { loadCifar10Binary, loadCifar100Binary, Cifar100LabelKind } from './cifar-binary';
export { loadImageFolder, ImageFolderOptions, DEFAULT_CACHE_DIR, isGreyAsRgb } from './image-folder';
export { LimitMode, limitIndices } from './limit';
export { Normalization, channelStats, checkNormalizationChannels, normalizationTable } from './normalize';
export { AugmentConfig, NO_AUGMENT, PAPER_AUGMENT } from './augment';
export { Batch, BatchLoader, BatchLoaderOptions } from './batch-loader';
export { CIFAR10_CLASSES, CIFAR100_FINE_CLASSES, CIFAR100_COARSE_CLASSES, MNIST_CLASSES, FASHION_MNIST_CLASSES } from './class-names';
