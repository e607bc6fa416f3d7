import { create, toBinary } from '@bufbuild/protobuf'
import {
  AttributeProto_AttributeType,
  AttributeProtoSchema,
  GraphProtoSchema,
  ModelProtoSchema,
  NodeProtoSchema,
  OperatorSetIdProtoSchema,
  TensorProto_DataType,
  TensorProtoSchema,
  TensorShapeProto_DimensionSchema,
  TensorShapeProtoSchema,
  TypeProto_TensorSchema,
  TypeProtoSchema,
  ValueInfoProtoSchema,
} from 'onnx-buf'

const info = (name: string, dims: (string | number)[]) =>
  create(ValueInfoProtoSchema, {
    name,
    type: create(TypeProtoSchema, {
      value: {
        case: 'tensorType',
        value: create(TypeProto_TensorSchema, {
          elemType: TensorProto_DataType.FLOAT,
          shape: create(TensorShapeProtoSchema, {
            dim: dims.map((d) =>
              create(TensorShapeProto_DimensionSchema, { value: typeof d === 'number' ? { case: 'dimValue', value: BigInt(d) } : { case: 'dimParam', value: d } }),
            ),
          }),
        }),
      },
    }),
  })

/**
 * A tiny model for contract tests: `out = (ReduceSum(x, axis 2) + offset) * mask`, with the given
 * names and row width (the learned scorer wants x, mask, score and its own INPUT_WIDTH). A large
 * negative `offset` makes a model that scores every row far below the heads.
 */
export function tinyModel(width: number, names = { x: 'x', mask: 'mask', out: 'score' }, offset = 0): Uint8Array {
  const graph = create(GraphProtoSchema, {
    name: 'tiny',
    node: [
      create(NodeProtoSchema, { opType: 'ReduceSum', input: [names.x, 'axes'], output: ['sum'], attribute: [create(AttributeProtoSchema, { name: 'keepdims', type: AttributeProto_AttributeType.INT, i: 0n })] }),
      create(NodeProtoSchema, { opType: 'Add', input: ['sum', 'offset'], output: ['shifted'] }),
      create(NodeProtoSchema, { opType: 'Mul', input: ['shifted', names.mask], output: [names.out] }),
    ],
    initializer: [
      create(TensorProtoSchema, { name: 'axes', dims: [1n], dataType: TensorProto_DataType.INT64, int64Data: [2n] }),
      create(TensorProtoSchema, { name: 'offset', dims: [], dataType: TensorProto_DataType.FLOAT, floatData: [offset] }),
    ],
    input: [info(names.x, ['n', 'm', width]), info(names.mask, ['n', 'm'])],
    output: [info(names.out, ['n', 'm'])],
  })
  return toBinary(
    ModelProtoSchema,
    create(ModelProtoSchema, { irVersion: 8n, opsetImport: [create(OperatorSetIdProtoSchema, { domain: '', version: 13n })], graph }),
  )
}
