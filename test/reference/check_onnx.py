#!/usr/bin/python3
"""Validate ONNX files with Debian's python3-onnx (1.12: IR version <= 8, opsets <= 17).

usage: /usr/bin/python3 test/reference/check_onnx.py [--no-infer] [--verbose] FILE...

Per file: onnx.checker.check_model(onnx.load(f), full_check=True), which in onnx 1.12 is the
structural checker plus shape inference with check_type=True and strict_mode=True; then a second
inference pass with data_prop=True (constant-shape propagation through Shape/Gather/Concat/... into
Reshape etc.), after which every graph output's declared shape is compared with the inferred one and
the intermediate values whose shape could not be inferred are counted (--verbose names them).
Prints 'OK <file> ...' or 'FAIL <file>: <first line of the error>' per file and a summary line;
exit status 1 if any file failed.

The model is always checked as a ModelProto: onnx 1.12's check_model(<path>, full_check=True)
would write the inferred model back over the file.
"""
import argparse
import os
import sys

import onnx
from onnx import shape_inference


def dims(vi):
    t = vi.type.tensor_type
    if not t.HasField('shape'):
        return None
    return [d.dim_value if d.HasField('dim_value') else (d.dim_param or '?') for d in t.shape.dim]


def check_file(path, infer=True, verbose=False):
    model = onnx.load(path)  # also loads external data next to the file, if any
    onnx.checker.check_model(model, full_check=True)
    info = f'IR {model.ir_version}, opsets ' + ','.join(f'{o.domain or "ai.onnx"}:{o.version}' for o in model.opset_import)
    info += f', {len(model.graph.node)} nodes'
    notes = []
    if infer:
        inferred = shape_inference.infer_shapes(model, check_type=True, strict_mode=True, data_prop=True)
        g = inferred.graph
        known = {vi.name: vi for vi in list(g.input) + list(g.value_info) + list(g.output)}
        known.update({i.name: None for i in g.initializer})
        # Graph outputs: declared vs inferred (inference keeps the declared one; recompute by
        # stripping the declaration).
        stripped = onnx.ModelProto()
        stripped.CopyFrom(model)
        for o in stripped.graph.output:
            o.type.tensor_type.ClearField('shape')
        re = shape_inference.infer_shapes(stripped, check_type=True, strict_mode=True, data_prop=True)
        re_out = {vi.name: vi for vi in re.graph.output}
        for o in model.graph.output:
            d, r = dims(o), dims(re_out[o.name]) if o.name in re_out else None
            if d is not None and r is not None and len(d) == len(r):
                bad = [i for i, (a, b) in enumerate(zip(d, r)) if isinstance(a, int) and isinstance(b, int) and a != b]
                if bad:
                    raise ValueError(f'graph output {o.name}: declared shape {d}, inferred {r}')
            elif d is not None and r is not None:
                raise ValueError(f'graph output {o.name}: declared rank {len(d)}, inferred {r}')
        produced = [out for n in g.node for out in n.output if out]
        unknown = [v for v in produced if v not in known or dims(known[v]) is None]
        info += f', shapes inferred for {len(produced) - len(unknown)}/{len(produced)} values'
        if unknown and verbose:
            notes.append('no inferred shape: ' + ', '.join(unknown[:50]) + (' ...' if len(unknown) > 50 else ''))
    return info, notes


def main(argv=None):
    ap = argparse.ArgumentParser(description='onnx.checker (full_check) over ONNX files')
    ap.add_argument('files', nargs='+')
    ap.add_argument('--no-infer', action='store_true', help='only check_model(full_check=True)')
    ap.add_argument('--verbose', action='store_true')
    a = ap.parse_args(argv)
    bad = 0
    for f in a.files:
        try:
            if not os.path.exists(f):
                raise FileNotFoundError('file not found')
            info, notes = check_file(f, not a.no_infer, a.verbose)
            print(f'OK {f} ({info})')
            for n in notes:
                print(f'   {n}')
        except Exception as e:  # noqa: BLE001 - report every failure and go on
            bad += 1
            msg = str(e).strip().splitlines()
            print(f'FAIL {f}: {type(e).__name__}: {msg[0] if msg else repr(e)}')
            if a.verbose and len(msg) > 1:
                print('   ' + '\n   '.join(msg[1:20]))
    print(f'checked {len(a.files)} file(s), {bad} failed')
    sys.stdout.flush()
    sys.exit(1 if bad else 0)


if __name__ == '__main__':
    main()
