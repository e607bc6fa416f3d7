// Owns: the ONNX graph of the learned attention network (model.ts has the same maths in plain
// TypeScript). Built with onnx-buf + @bufbuild/protobuf; deterministic: same parameters, same bytes.
import { create, toBinary } from '@bufbuild/protobuf'
import {
  AttributeProto_AttributeType,
  AttributeProtoSchema,
  GraphProtoSchema,
  ModelProtoSchema,
  NodeProtoSchema,
  OperatorSetIdProtoSchema,
  StringStringEntryProtoSchema,
  TensorProto_DataType,
  TensorProtoSchema,
  TensorShapeProto_DimensionSchema,
  TensorShapeProtoSchema,
  TypeProto_TensorSchema,
  TypeProtoSchema,
  ValueInfoProtoSchema,
  type NodeProto,
  type TensorProto,
  type ValueInfoProto,
} from 'onnx-buf'
import { INPUT_COLUMNS, INPUT_MASK, INPUT_WIDTH, INPUT_X, OUTPUT_SCORE } from '../../plugin/src/learned/index'
import type { ModelParams } from './model'

const OPSET = 13n
const IR_VERSION = 8n

function floats(name: string, dims: number[], data: Float32Array | number[]): TensorProto {
  const f = Float32Array.from(data)
  return create(TensorProtoSchema, {
    name,
    dims: dims.map(BigInt),
    dataType: TensorProto_DataType.FLOAT,
    rawData: new Uint8Array(f.buffer.slice(0)) as Uint8Array<ArrayBuffer>,
  })
}

function int64s(name: string, data: number[]): TensorProto {
  return create(TensorProtoSchema, { name, dims: [BigInt(data.length)], dataType: TensorProto_DataType.INT64, int64Data: data.map(BigInt) })
}

function node(opType: string, input: string[], output: string, attrs: { name: string; i: number }[] = []): NodeProto {
  return create(NodeProtoSchema, {
    opType,
    input,
    output: [output],
    name: output,
    attribute: attrs.map((a) => create(AttributeProtoSchema, { name: a.name, type: AttributeProto_AttributeType.INT, i: BigInt(a.i) })),
  })
}

function tensorInfo(name: string, dims: (string | number)[]): ValueInfoProto {
  return create(ValueInfoProtoSchema, {
    name,
    type: create(TypeProtoSchema, {
      value: {
        case: 'tensorType',
        value: create(TypeProto_TensorSchema, {
          elemType: TensorProto_DataType.FLOAT,
          shape: create(TensorShapeProtoSchema, {
            dim: dims.map((d) =>
              create(TensorShapeProto_DimensionSchema, {
                value: typeof d === 'number' ? { case: 'dimValue', value: BigInt(d) } : { case: 'dimParam', value: d },
              }),
            ),
          }),
        }),
      },
    }),
  })
}

/**
 * Builds the ONNX model of `p`: inputs `x` [observers, candidates, INPUT_WIDTH] and `mask`
 * [observers, candidates], output `score` [observers, candidates].
 * @param p - trained parameters.
 * @param meta - extra metadata entries (how the model was trained); keep them deterministic.
 * @returns the serialized model.
 */
export function exportOnnx(p: ModelParams, meta: Record<string, string> = {}): Uint8Array {
  const H = p.heads
  const dk = p.keyDim
  const hk = H * dk
  const W = INPUT_WIDTH
  const init = [
    floats('lin', [W, 1], p.lin),
    floats('wq', [W, hk], p.wq),
    floats('bq', [hk], p.bq),
    floats('wk', [W, hk], p.wk),
    floats('bk', [hk], p.bk),
    floats('wo', [H, 1], p.wo),
    floats('bias', [], p.bias),
    floats('one', [], [1]),
    floats('big', [], [1e9]),
    floats('inv_sqrt_dk', [], [1 / Math.sqrt(dk)]),
    int64s('axis_last', [-1]),
    int64s('axis_1', [1]),
    int64s('axis_3', [3]),
    int64s('shape_heads', [0, 0, H, dk]),
  ]
  const nodes = [
    node('Unsqueeze', [INPUT_MASK, 'axis_last'], 'mask3'),
    // the observer's context: mean of its real rows
    node('Mul', [INPUT_X, 'mask3'], 'x_masked'),
    node('ReduceSum', ['x_masked', 'axis_1'], 'x_sum', [{ name: 'keepdims', i: 1 }]),
    node('ReduceSum', ['mask3', 'axis_1'], 'count', [{ name: 'keepdims', i: 1 }]),
    node('Max', ['count', 'one'], 'count1'),
    node('Div', ['x_sum', 'count1'], 'ctx'),
    node('MatMul', ['ctx', 'wq'], 'q0'),
    node('Add', ['q0', 'bq'], 'q'),
    node('MatMul', [INPUT_X, 'wk'], 'z0'),
    node('Add', ['z0', 'bk'], 'z'),
    node('Tanh', ['z'], 'k'),
    // scaled dot product per head
    node('Mul', ['k', 'q'], 'qk'),
    node('Reshape', ['qk', 'shape_heads'], 'qk_heads'),
    node('ReduceSum', ['qk_heads', 'axis_3'], 'a0', [{ name: 'keepdims', i: 0 }]),
    node('Mul', ['a0', 'inv_sqrt_dk'], 'a1'),
    // padding gets -1e9 before the softmax over candidates
    node('Sub', ['mask3', 'one'], 'mask_off'),
    node('Mul', ['mask_off', 'big'], 'mask_neg'),
    node('Add', ['a1', 'mask_neg'], 'a'),
    node('LogSoftmax', ['a'], 'log_p', [{ name: 'axis', i: 1 }]),
    node('Log', ['count1'], 'log_count'),
    node('Add', ['log_p', 'log_count'], 'l'),
    node('MatMul', ['l', 'wo'], 'attention'),
    node('MatMul', [INPUT_X, 'lin'], 'linear'),
    node('Add', ['linear', 'attention'], 'score2'),
    node('Add', ['score2', 'bias'], 'score3'),
  ]
  if (p.bound > 0) {
    // bounded residual: the heads' score plus lim * tanh(score3 / lim), lim = bound (or, below 0,
    // boundDown when the model has one of its own)
    init.push(floats('base', [W, 1], p.base), floats('bound', [], [p.bound]))
    let lim = 'bound'
    if (p.boundDown !== undefined) {
      init.push(floats('bound_down', [], [p.boundDown]), floats('zero', [], [0]))
      nodes.push(node('Greater', ['score3', 'zero'], 'raises'), node('Where', ['raises', 'bound', 'bound_down'], 'lim'))
      lim = 'lim'
    }
    nodes.push(node('Div', ['score3', lim], 'raw_scaled'), node('Tanh', ['raw_scaled'], 'raw_tanh'), node('Mul', ['raw_tanh', lim], 'correction0'))
    let correction = 'correction0'
    if (p.guard !== undefined) {
      // range guard: a row with any column outside [lo, hi] keeps the heads' score where the
      // correction would lower it
      init.push(floats('guard_lo', [W], p.guard.lo), floats('guard_hi', [W], p.guard.hi))
      if (p.boundDown === undefined) init.push(floats('zero', [], [0]))
      nodes.push(
        node('Less', [INPUT_X, 'guard_lo'], 'below_lo'),
        node('Greater', [INPUT_X, 'guard_hi'], 'above_hi'),
        node('Or', ['below_lo', 'above_hi'], 'outside_col'),
        node('Cast', ['outside_col'], 'outside_f', [{ name: 'to', i: TensorProto_DataType.FLOAT }]),
        node('ReduceSum', ['outside_f', 'axis_last'], 'outside_n', [{ name: 'keepdims', i: 1 }]),
        node('Greater', ['outside_n', 'zero'], 'outside'),
        node('LessOrEqual', ['score3', 'zero'], 'lowers'),
        node('And', ['outside', 'lowers'], 'held'),
        node('Where', ['held', 'zero', 'correction0'], 'correction'),
      )
      correction = 'correction'
    }
    nodes.push(node('MatMul', [INPUT_X, 'base'], 'heads'), node('Add', ['heads', correction], 'score4'))
  }
  nodes.push(node('Squeeze', [p.bound > 0 ? 'score4' : 'score3', 'axis_last'], OUTPUT_SCORE))
  const graph = create(GraphProtoSchema, {
    name: 'learned_attention',
    node: nodes,
    initializer: init,
    input: [tensorInfo(INPUT_X, ['observers', 'candidates', W]), tensorInfo(INPUT_MASK, ['observers', 'candidates'])],
    output: [tensorInfo(OUTPUT_SCORE, ['observers', 'candidates'])],
  })
  const entries = { columns: INPUT_COLUMNS.join(','), heads: String(H), keyDim: String(dk), ...(p.bound > 0 ? { bound: String(p.bound) } : {}), ...(p.boundDown !== undefined ? { boundDown: String(p.boundDown) } : {}), ...(p.guard !== undefined ? { rangeGuard: 'on' } : {}), ...meta }
  const model = create(ModelProtoSchema, {
    irVersion: IR_VERSION,
    opsetImport: [create(OperatorSetIdProtoSchema, { domain: '', version: OPSET })],
    producerName: 'colyseus-attention',
    graph,
    metadataProps: Object.entries(entries).map(([key, value]) => create(StringStringEntryProtoSchema, { key, value })),
  })
  return toBinary(ModelProtoSchema, model)
}
