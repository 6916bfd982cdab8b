// Which axes of which tensors are indexed by the output channels of which dense layer, and what a
// morphism of such a channel does along that axis. One place that knows the parameter layout of
// src/models/params.ts from the morphisms' point of view; for dense layer l (L layers):
//
//   tensor                          axis  channels of  role
//   <l>.conv.weight [w_l,in,k,k]     0    l            incoming   (split: rows w ± θ; prune: removed)
//   <l>.bn.* [w_l]                   0    l            channelwise (split: copied)
//   <l+1>.dw.weight [w_l,1,3,3]      0    l            channelwise (MobileNet: the depthwise conv of
//   <l+1>.dw_bn.* [w_l]              0    l            channelwise  layer l+1 runs on l's channels)
//   <l+1>.conv.weight [.., w_l,k,k]  1    l            outgoing   (split: both copies get half)
//   fc.weight [classes, w_{L-1}]     1    L-1          outgoing
//
// Everything else (fc.bias, the first layer's input axis) is indexed by no layer's channels.
import { ArchState } from '../models/arch';
import { BN_TENSORS, param } from '../models/names';

export type AxisRole = 'incoming' | 'channelwise' | 'outgoing';

export interface ChannelAxis {
  /** axis of the tensor */
  axis: number;
  /** index in arch.layers of the layer whose output channels this axis enumerates */
  layer: number;
  role: AxisRole;
}

/** Tensor name → its channel axes, in increasing axis order (tensors absent have none). */
export function channelAxes(arch: ArchState): Map<string, ChannelAxis[]> {
  const axes = new Map<string, ChannelAxis[]>();
  const add = (name: string, a: ChannelAxis) => axes.set(name, [...(axes.get(name) ?? []), a].sort((x, y) => x.axis - y.axis));
  arch.layers.forEach((layer, l) => {
    add(param.convWeight(layer.name), { axis: 0, layer: l, role: 'incoming' });
    for (const t of BN_TENSORS) add(param.bn(layer.name, 'bn', t), { axis: 0, layer: l, role: 'channelwise' });
    if (l === 0) return; // the first layer's input is the image
    const prev = l - 1;
    if (layer.depthwise) {
      add(param.depthwiseWeight(layer.name), { axis: 0, layer: prev, role: 'channelwise' });
      for (const t of BN_TENSORS) add(param.bn(layer.name, 'dw_bn', t), { axis: 0, layer: prev, role: 'channelwise' });
    }
    add(param.convWeight(layer.name), { axis: 1, layer: prev, role: 'outgoing' });
  });
  add(param.fcWeight, { axis: 1, layer: arch.layers.length - 1, role: 'outgoing' });
  return axes;
}
